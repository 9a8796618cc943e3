namespace RawGan.Backends.Cpu;

// TEMPORARY until the spatial-ops branch lands: upsampling and pooling on the CPU.
public sealed partial class CpuBackend
{
    public void UpsampleNearestForward(Tensor y, Tensor x, int scale) => throw new NotImplementedException();
    public void UpsampleNearestBackward(Tensor dx, Tensor dy, int scale) => throw new NotImplementedException();
    public void MaxPool2dForward(Tensor y, Tensor x, Pool2dArgs args) => throw new NotImplementedException();
    public void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Pool2dArgs args) => throw new NotImplementedException();
    public void AvgPool2dForward(Tensor y, Tensor x, Pool2dArgs args) => throw new NotImplementedException();
    public void AvgPool2dBackward(Tensor dx, Tensor dy, Pool2dArgs args) => throw new NotImplementedException();
}
