using System.Text.Json;

namespace RawGan.Recipes;

/// <summary>Builds a recipe by name from its options JSON: how `--resume` and `rawgan sample`
/// rebuild the networks a checkpoint was saved from.</summary>
public static class RecipeCatalog
{
    public static IReadOnlyList<string> Names => ["dcgan", "torchfaces", "vaegan", "tfdcgan", "began"];

    public static IGanRecipe Create(string name, string optionsJson, Device device, Generator init, Generator noise) => name switch
    {
        "dcgan" => new DcganRecipe(Parse<DcganOptions>(optionsJson), device, init, noise),
        "torchfaces" => new TorchFacesRecipe(Parse<TorchFacesOptions>(optionsJson), device, init, noise),
        "vaegan" => new VaeGanRecipe(Parse<VaeGanOptions>(optionsJson), device, init, noise),
        "tfdcgan" => new TfDcganRecipe(Parse<TfDcganOptions>(optionsJson), device, init, noise),
        "began" => new BeganRecipe(Parse<BeganOptions>(optionsJson), device, init, noise),
        _ => throw new ArgumentException($"unknown recipe '{name}': known recipes are {string.Join(", ", Names)}"),
    };

    private static T Parse<T>(string json)
    {
        try { return JsonSerializer.Deserialize<T>(json) ?? throw new JsonException("empty options"); }
        catch (JsonException e) { throw new Checkpoints.CheckpointException($"recipe options are malformed: {e.Message}"); }
    }
}
