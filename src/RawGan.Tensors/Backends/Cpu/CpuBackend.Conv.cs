namespace RawGan.Backends.Cpu;

// TEMPORARY until the spatial-ops branch lands: conv2d on the CPU.
public sealed partial class CpuBackend
{
    public void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args) => throw new NotImplementedException();
    public void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args) => throw new NotImplementedException();
    public void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args) => throw new NotImplementedException();
}
