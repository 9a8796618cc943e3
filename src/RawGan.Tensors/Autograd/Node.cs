namespace RawGan.Autograd;

/// <summary>
/// One recorded op in the graph: its inputs and a function from the output's gradient to the
/// inputs' gradients (null where an input needs none). Forward and backward of an op are
/// written next to each other in its Ops/ file (micrograd's habit).
/// </summary>
public sealed class Node(string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    internal Func<Tensor, Tensor?[]> Backward { get; } = backward;
}
