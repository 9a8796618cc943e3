namespace RawGan.Backends.Cpu;

// TEMPORARY until the spatial-ops branch lands: batch norm on the CPU.
public sealed partial class CpuBackend
{
    public void BatchNormForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps) => throw new NotImplementedException();
    public void BatchNormForwardInference(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps) => throw new NotImplementedException();
    public void BatchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) => throw new NotImplementedException();
}
