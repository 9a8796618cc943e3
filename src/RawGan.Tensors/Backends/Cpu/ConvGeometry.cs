namespace RawGan.Backends.Cpu;

/// <summary>
/// Sizes of one convolution, read from the tensors themselves: the image side [N, C, H, W], the
/// output side [N, O, Ho, Wo] and the weight [O, C/groups, kH, kW]. Ho and Wo come from the output
/// tensor rather than the formula, so a data gradient may be asked for an image whose last rows
/// no output window reaches (conv_transpose's output_padding): they get zero.
/// </summary>
internal readonly struct ConvGeometry
{
    public ConvGeometry(string op, Tensor image, Tensor output, Tensor weight, Conv2dArgs args)
    {
        N = image.Shape[0]; C = image.Shape[1]; H = image.Shape[2]; W = image.Shape[3];
        O = output.Shape[1]; Ho = output.Shape[2]; Wo = output.Shape[3];
        KH = weight.Shape[2]; KW = weight.Shape[3];
        Groups = args.Groups;
        SH = args.StrideH; SW = args.StrideW; PH = args.PadH; PW = args.PadW; DH = args.DilationH; DW = args.DilationW;
        if (output.Shape[0] != N || weight.Shape[0] != O || weight.Shape[1] * Groups != C)
            throw new ArgumentException($"{op}: image {Shape.Format(image.Shape)}, output {Shape.Format(output.Shape)} and " +
                                        $"weight {Shape.Format(weight.Shape)} do not fit together with {Groups} group(s)");
        Cg = C / Groups; Og = O / Groups;
        K = Cg * KH * KW;
        L = Ho * Wo;
    }

    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int O { get; }
    public int Ho { get; }
    public int Wo { get; }
    public int KH { get; }
    public int KW { get; }
    public int Groups { get; }
    public int SH { get; }
    public int SW { get; }
    public int PH { get; }
    public int PW { get; }
    public int DH { get; }
    public int DW { get; }

    /// <summary>Input channels per group.</summary>
    public int Cg { get; }

    /// <summary>Output channels per group.</summary>
    public int Og { get; }

    /// <summary>Rows of the column matrix: Cg * kH * kW, the GEMM's inner dimension.</summary>
    public int K { get; }

    /// <summary>Columns of the column matrix: output positions Ho * Wo.</summary>
    public int L { get; }

    /// <summary>Multiply-adds of one GEMM pass over the whole batch (to decide on threading).</summary>
    public long Work => (long)N * O * K * L;

    /// <summary>Elements of one image [C, H, W].</summary>
    public int ImageSize => C * H * W;

    /// <summary>Elements of one group's channels of one image [Cg, H, W].</summary>
    public int GroupImage => Cg * H * W;

    /// <summary>
    /// The one window covers the whole image, unpadded (D's last conv to a logit, G's first transposed conv
    /// from the latent): each image's column matrix is then the image itself, [K, 1], and the conv is a
    /// Linear layer over the batch.
    /// </summary>
    public bool IsLinear => L == 1 && PH == 0 && PW == 0 && KH == H && KW == W && (KH == 1 || DH == 1) && (KW == 1 || DW == 1);

    /// <summary>Index of image n, group gr's first element in the image-side tensor.</summary>
    public int ImageOffset(int n, int gr) => n * ImageSize + gr * GroupImage;

    /// <summary>Index of image n, group gr's first element in the output-side tensor.</summary>
    public int OutputOffset(int n, int gr) => (n * O + gr * Og) * L;
}
