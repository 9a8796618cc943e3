using RawGan.Backends.Cuda;
using RawGan.Recipes;

namespace RawGan.Training;

/// <summary>
/// `--graph on`: a recipe's steps replayed from a CUDA graph (<see cref="CudaStepGraph"/>). The first
/// step runs eagerly (cuDNN's algorithm search, the optimizers' state, kernel loading); the second
/// is captured with its batch in a tensor the graph owns; every later batch is copied into that
/// tensor and the graph replayed. A batch of another shape (a short last batch) runs eagerly: the
/// graph's host state follows any eager step, so the two interleave.
/// </summary>
public sealed class GraphedSteps : IDisposable
{
    private readonly IGanRecipe _recipe;
    private CudaStepGraph? _graph;
    private Tensor? _input;
    private int _eagerSteps;

    public GraphedSteps(IGanRecipe recipe, Device device)
    {
        if (device != Device.Cuda) throw new ArgumentException("--graph on: CUDA graphs need --device cuda");
        if (!recipe.Capturable)
            throw new ArgumentException($"--graph on: the {recipe.Name} recipe decides on the host in mid-step (its balancing rule reads D's errors back), so its step cannot be captured; use --graph off");
        _recipe = recipe;
    }

    /// <summary>One training step; the metrics stay on the device (the graph's own tensors when replayed).</summary>
    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        if (_graph is not null && real.Shape.AsSpan().SequenceEqual(_input!.Shape))
        {
            _input.CopyFrom(real);
            _graph.Replay();
            return _graph.Outputs;
        }
        if (_graph is not null || _eagerSteps++ == 0) return _recipe.Step(real);

        _input = real.Clone().DetachFromScope();
        _graph = CudaStepGraph.Capture(() => _recipe.Step(_input));
        _graph.Replay();
        return _graph.Outputs;
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _input?.Dispose();
    }
}
