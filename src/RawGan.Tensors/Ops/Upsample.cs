namespace RawGan;

public static partial class F
{
    /// <summary>Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor: y[n, c, h, w] =
    /// x[n, c, h / scale, w / scale], as torch.nn.functional.interpolate(mode="nearest"). Each input's
    /// gradient is the sum of the scale x scale block it was copied to.</summary>
    public static Tensor UpsampleNearest(Tensor x, int scale)
    {
        const string op = "upsample_nearest";
        CheckRank(op, x, 4, "input");
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "upsample_nearest: scale must be a positive integer");
        var xs = Contiguous(x);
        var y = Tensor.Empty([x.Shape[0], x.Shape[1], checked(x.Shape[2] * scale), checked(x.Shape[3] * scale)], x.DType, x.Device);
        y.Backend.UpsampleNearestForward(y, xs, scale);
        return Autograd.Autograd.Record(y, op, [x], dy =>
        {
            var dx = xs.EmptyLike();
            dx.Backend.UpsampleNearestBackward(dx, Contiguous(dy), scale);
            return [dx];
        });
    }
}
