using System.Text.Json;
using RawGan.Cli;
using RawGan.Data;
using RawGan.Eval;
using RawGan.Images;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>ProGAN's sliced Wasserstein distance and the checks of `rawgan eval` (src/RawGan.Train/Eval).</summary>
public sealed class EvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---- Laplacian pyramid ----------------------------------------------------------------

    [Fact]
    public void PyramidDown_OfARamp_MatchesHandComputedValues_WithMirroredBorders()
    {
        // Rows 0 1 2 3: the border mirrors without repeating the edge (scipy 'mirror': 2 1 | 0 1 2 3 | 2 1).
        // Centre 0 sees 2 1 0 1 2: (1·2 + 4·1 + 6·0 + 4·1 + 1·2)/16 = 0.75; centre 2 sees 0 1 2 3 2: 30/16.
        float[] ramp = [.. Enumerable.Range(0, 16).Select(i => (float)(i % 4))];
        var down = new float[4];
        LaplacianPyramid.Down(ramp, 4, down, new float[8]);
        Assert.Equal([0.75f, 1.875f, 0.75f, 1.875f], down);
    }

    [Fact]
    public void PyramidDown_OfAnImpulse_IsTheBinomialFilter_FoldedAtTheBorder()
    {
        var impulse = new float[64];
        impulse[2 * 8 + 2] = 256;
        var down = new float[16];
        LaplacianPyramid.Down(impulse, 8, down, new float[32]);
        Assert.Equal(36, down[1 * 4 + 1], 5);          // centre (2, 2): 6·6
        Assert.Equal(6, down[1 * 4 + 2], 5);           // centre (2, 4): 6·1, two columns off
        Assert.Equal(2 * 6, down[0 * 4 + 1], 5);       // centre (0, 2): rows -2 and 2 both land on row 2: (1 + 1)·6
        Assert.Equal(2 * 2, down[0 * 4 + 0], 5);       // centre (0, 0): (1 + 1)·(1 + 1)
        Assert.Equal(0, down[3 * 4 + 3], 5);
    }

    [Fact]
    public void PyramidUp_MatchesHandComputedValues_OfTheZeroInsertedMirror()
    {
        // [a b] → zeros inserted [a 0 b 0], mirrored (b 0 | a 0 b 0 | b 0), filtered by [1 4 6 4 1]/8:
        // (6a + 2b)/8, (a + b)/2, (a + 7b)/8, b. With a = 1, b = 3 on every row: 1.5, 2, 2.75, 3.
        float[] source = [1, 3, 1, 3];
        var up = new float[16];
        LaplacianPyramid.Up(source, 2, up, new float[8]);
        for (int y = 0; y < 4; y++)
            Assert.Equal([1.5f, 2f, 2.75f, 3f], up.AsSpan(y * 4, 4).ToArray());
    }

    [Fact]
    public void Pyramid_MatchesScipy_AsProGANBuildsIt()
    {
        // Values from tools/EvalBench/scipy_pyramid.py: ProGAN's generate_laplacian_pyramid with
        // scipy.ndimage.convolve(mode='mirror'), borders and corners included.
        (int Level, int C, int Y, int X, float Value)[] expected =
        [
            (0, 0, 0, 0, -52.1289f), (0, 1, 0, 31, 24.9453f), (0, 2, 31, 0, 121.3203f), (0, 0, 31, 31, 23.4844f),
            (0, 1, 15, 1, -69.7500f), (0, 2, 16, 17, 56.5625f), (1, 0, 0, 0, 36.5625f), (1, 1, 15, 15, 109.5156f),
            (1, 2, 0, 15, 112.0312f), (1, 0, 7, 8, 161.0000f),
        ];
        const int size = 32;
        var image = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                for (int c = 0; c < 3; c++)
                    image[(y * size + x) * 3 + c] = (byte)((x * 37 + y * 11 + c * 71 + x * y) % 256);
        var levels = new[] { new float[3 * 32 * 32], new float[3 * 16 * 16] };
        LaplacianPyramid.Build(image, size, [.. levels.Select(l => new Memory<float>(l))], new float[LaplacianPyramid.ScratchFloats(size)]);
        foreach (var (level, c, y, x, value) in expected)
        {
            int s = level == 0 ? 32 : 16;
            Assert.True(Math.Abs(levels[level][(c * s + y) * s + x] - value) < 1e-3,
                $"level {level} channel {c} ({y}, {x}): {levels[level][(c * s + y) * s + x]}, scipy {value}");
        }
    }

    [Fact]
    public void Pyramid_LevelsAre64_32_16_AndReconstructTheImage()
    {
        Assert.Equal([64, 32, 16], LaplacianPyramid.LevelSizes(64));
        Assert.Equal([32, 16], LaplacianPyramid.LevelSizes(32));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaplacianPyramid.LevelSizes(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaplacianPyramid.LevelSizes(66)); // 66 → 33 → 16: 33 does not halve

        var image = new byte[64 * 64 * 3];
        SyntheticFaces.Render(seed: 3, index: 5, size: 64, image);
        var levels = new[] { new float[3 * 64 * 64], new float[3 * 32 * 32], new float[3 * 16 * 16] };
        LaplacianPyramid.Build(image, 64, [.. levels.Select(l => new Memory<float>(l))], new float[LaplacianPyramid.ScratchFloats(64)]);
        // reconstruct_laplacian_pyramid: upsample the coarser image and add the detail, level by level.
        var image32 = new float[32 * 32];
        var image64 = new float[64 * 64];
        var rows = new float[2 * 64 * 64];
        double worst = 0;
        for (int c = 0; c < 3; c++)
        {
            LaplacianPyramid.Up(levels[2].AsSpan(c * 256, 256), 16, image32, rows);
            for (int i = 0; i < image32.Length; i++) image32[i] += levels[1][c * 1024 + i];
            LaplacianPyramid.Up(image32, 32, image64, rows);
            for (int p = 0; p < 64 * 64; p++) worst = Math.Max(worst, Math.Abs(image64[p] + levels[0][c * 4096 + p] - image[p * 3 + c]));
        }
        Assert.True(worst < 1e-3, $"pyramid reconstruction is off by {worst}");
    }

    [Fact]
    public void Pyramid_OfAFlatImage_HasNoDetail()
    {
        var image = new byte[32 * 32 * 3];
        for (int p = 0; p < image.Length; p += 3) (image[p], image[p + 1], image[p + 2]) = (200, 100, 50);
        var levels = new[] { new float[3 * 32 * 32], new float[3 * 16 * 16] };
        LaplacianPyramid.Build(image, 32, [.. levels.Select(l => new Memory<float>(l))], new float[LaplacianPyramid.ScratchFloats(32)]);
        Assert.All(levels[0], v => Assert.Equal(0f, v));
        Assert.Equal(200f, levels[1][0]);
        Assert.Equal(50f, levels[1][2 * 256 + 255]);
    }

    // ---- kernels --------------------------------------------------------------------------

    [Theory]
    [InlineData(256, 128, 32)]
    [InlineData(256, 13, 64)]
    [InlineData(512, 128, 32)]
    [InlineData(512, 13, 64)]
    public void Projection_MatchesTheDoubleReference(int bits, int rowCount, int columns)
    {
        var rng = new Random(1);
        var rows = new float[rowCount * DescriptorSet.RowStride];
        var directions = new float[DescriptorSet.Length * columns];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < directions.Length; i++) directions[i] = (float)(rng.NextDouble() * 0.2 - 0.1);
        var fast = new float[rowCount * columns];
        var reference = new float[rowCount * columns];
        if (bits == 256) Projection.RunVector256(rows, rowCount, DescriptorSet.RowStride, DescriptorSet.Length, directions, columns, fast);
        else Projection.RunVector512(rows, rowCount, DescriptorSet.RowStride, DescriptorSet.Length, directions, columns, fast);
        Projection.Reference(rows, rowCount, DescriptorSet.RowStride, DescriptorSet.Length, directions, columns, reference);
        int worst = Enumerable.Range(0, fast.Length).MaxBy(i => Math.Abs(fast[i] - reference[i]));
        Assert.True(Math.Abs(fast[worst] - reference[worst]) < 1e-5,
            $"projection v{bits} {rowCount}x{columns}: element {worst} is {fast[worst]}, reference {reference[worst]}");
    }

    [Theory]
    [InlineData(5000)]
    [InlineData(SortedKeys.SplitAbove + 40_000)] // split on the top bits first
    public void RadixSort_OrdersFloatsAsArraySortDoes(int count)
    {
        var rng = new Random(2);
        float[] values = [.. Enumerable.Range(0, count).Select(i => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-6, 6)))), 0f, -0f, 1e-40f, -1e-40f, 7f, 7f];
        var keys = values.Select(SortedKeys.ToKey).ToArray();
        var sorted = SortedKeys.Sort(keys, new uint[keys.Length], new int[SortedKeys.CountsLength]).ToArray().Select(SortedKeys.FromKey).ToArray();
        Array.Sort(values);
        Assert.Equal(values.Select(v => v == 0 ? 0 : v), sorted.Select(v => v == 0 ? 0 : v));
    }

    [Fact]
    public void RadixSort_OfEqualKeys_SkipsEveryPass()
    {
        var same = Enumerable.Repeat(SortedKeys.ToKey(3.5f), 100).ToArray();
        var sorted = SortedKeys.Sort(same, new uint[100], new int[SortedKeys.CountsLength]);
        Assert.True(sorted == same.AsSpan(), "nothing to move: the keys stay where they are");
        Assert.All(sorted.ToArray(), k => Assert.Equal(3.5f, SortedKeys.FromKey(k)));
    }

    // ---- sliced Wasserstein distance --------------------------------------------------------

    /// <summary>128 synthetic 32x32 faces (the reference set), 128 others, and those others with
    /// Gaussian noise of rising strength; all pyramids built once for the tests below.</summary>
    private const int NoiseSetSize = 128;

    private static readonly Lazy<(DescriptorSet Real, DescriptorSet[] Noisy, double[] Sigmas)> NoiseSets = new(() =>
    {
        const int n = NoiseSetSize;
        double[] sigmas = [0, 4, 12, 32, 64];
        var faces = new SyntheticFaces(2 * n, 32, seed: 7);
        var real = new DescriptorSet(new PyramidPatches(faces, [.. Enumerable.Range(0, n)], seed: 1), 0, n);
        var noisy = sigmas.Select(sigma =>
        {
            var buffer = new ImageBuffer(n, 32);
            for (int i = 0; i < n; i++)
            {
                faces.GetImage(n + i, buffer.Image(i));
                AddNoise(buffer.Image(i), sigma, (ulong)i);
            }
            return new DescriptorSet(new PyramidPatches(buffer, [.. Enumerable.Range(0, n)], seed: 2), 0, n);
        }).ToArray();
        return (real, noisy, sigmas);
    });

    /// <summary>SWD of the reference set against each noisy set, in sigma order.</summary>
    private static readonly Lazy<double[][]> NoiseDistances = new(() =>
    {
        var (real, noisy, _) = NoiseSets.Value;
        return SlicedWasserstein.Distances([real, .. noisy], [.. noisy.Select((_, i) => (0, i + 1))], seed: 0);
    });

    private static void AddNoise(Span<byte> image, double sigma, ulong seed)
    {
        var rng = new Random((int)seed);
        for (int i = 0; i < image.Length; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            image[i] = (byte)Math.Clamp(Math.Round(image[i] + sigma * z), 0, 255);
        }
    }

    [Fact]
    public void Swd_EqualsProGansFormula_ComputedPlainly_FromTheRawPatches()
    {
        // ProGAN's metrics/sliced_wasserstein.py step by step, in double, with none of Distances' machinery
        // (gathering, chunked projections, radix-sorted keys): finalize_descriptors subtracts each colour
        // channel's mean over all of a set's descriptors and divides by its (population) std; per direction
        // both sets are projected and sorted, and |difference| averaged; the mean over all 4 x 128
        // directions is reported x 1e3. Same patches and directions as Distances draws.
        var a = new DescriptorSet(new PyramidPatches(new SyntheticFaces(12, 32, seed: 1), [.. Enumerable.Range(0, 12)], seed: 3), 0, 12);
        var b = new DescriptorSet(new PyramidPatches(new SyntheticFaces(12, 32, seed: 2), [.. Enumerable.Range(0, 12)], seed: 4), 0, 12);
        var fast = SlicedWasserstein.Distances([a, b], [(0, 1)], seed: 5, cancel: TestContext.Current.CancellationToken)[0];
        Assert.Equal(2, fast.Length);
        for (int level = 0; level < 2; level++)
        {
            double[][] da = Descriptors(a, level), db = Descriptors(b, level);
            var directions = SlicedWasserstein.DrawDirections(5, level);
            Assert.Equal(512, directions.Length);
            double total = 0;
            foreach (var direction in directions)
            {
                double[] pa = [.. da.Select(d => Dot(d, direction)).Order()], pb = [.. db.Select(d => Dot(d, direction)).Order()];
                total += pa.Zip(pb, (x, y) => Math.Abs(x - y)).Average();
            }
            double expected = total / directions.Length * 1e3;
            Assert.True(Math.Abs(fast[level] - expected) < 1e-6 * expected, $"level {level}: Distances gives {fast[level]}, the formula {expected}");
        }

        static double Dot(double[] d, float[] direction) => d.Select((v, k) => v * direction[k]).Sum();
    }

    /// <summary>A set's descriptors at one level, normalised as ProGAN's finalize_descriptors does, from the raw pyramid.</summary>
    private static double[][] Descriptors(DescriptorSet set, int level)
    {
        const int K = 7, C = 3;
        int size = set.Source.LevelSizes[level];
        var raw = new List<double[]>();
        for (int image = 0; image < set.Count; image++)
        {
            var planes = set.Source.Level(level).Slice((set.Start + image) * set.Source.ImageFloats(level));
            foreach (int offset in set.Source.PatchOffsets(level, set.Start + image))
            {
                var d = new double[C * K * K];
                for (int c = 0; c < C; c++)
                    for (int y = 0; y < K; y++)
                        for (int x = 0; x < K; x++)
                            d[(c * K + y) * K + x] = planes[c * size * size + offset + y * size + x];
                raw.Add(d);
            }
        }
        for (int c = 0; c < C; c++)
        {
            var values = raw.SelectMany(d => d.Skip(c * K * K).Take(K * K)).ToArray();
            double mean = values.Average(), std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            foreach (var d in raw)
                for (int i = c * K * K; i < (c + 1) * K * K; i++) d[i] = (d[i] - mean) / std;
        }
        return [.. raw];
    }

    [Fact]
    public void Swd_OfASetAgainstItself_IsZero()
    {
        var real = NoiseSets.Value.Real;
        var swd = SlicedWasserstein.Distances([real], [(0, 0)], seed: 0, cancel: TestContext.Current.CancellationToken);
        Assert.All(swd[0], v => Assert.Equal(0, v));
    }

    [Fact]
    public void Swd_GrowsMonotonically_WithTheStrengthOfAddedNoise()
    {
        var sigmas = NoiseSets.Value.Sigmas;
        var swd = NoiseDistances.Value;
        string all = string.Join(" | ", swd.Select((levels, i) => $"sigma {sigmas[i]}: {string.Join(", ", levels.Select(v => v.ToString("F3")))}"));
        for (int i = 1; i < swd.Length; i++)
        {
            // The finest level sees the noise; the average too (the 16x16 residual blurs most of it away).
            Assert.True(swd[i][0] > swd[i - 1][0], $"swd_32 does not grow from sigma {sigmas[i - 1]} to {sigmas[i]}: {all}");
            Assert.True(swd[i].Average() > swd[i - 1].Average(), $"swd_avg does not grow from sigma {sigmas[i - 1]} to {sigmas[i]}: {all}");
        }
    }

    [Fact]
    public void Swd_DisjointRealSets_ScoreFarBelow_RealAgainstNoisyImages()
    {
        // 128 images a side: about 16 (swd_32) and 31 (swd_16) between real sets, 158 and 32 with noise of sigma 32.
        var (realVsReal, realVsNoisy) = (NoiseDistances.Value[0], NoiseDistances.Value[3]);
        Assert.Equal(32, NoiseSets.Value.Sigmas[3]);
        Assert.True(realVsNoisy[0] > 5 * realVsReal[0], $"swd_32: real vs real {realVsReal[0]:F3}, real vs noisy (sigma 32) {realVsNoisy[0]:F3}");
        Assert.True(realVsNoisy.Average() > 3 * realVsReal.Average(), $"swd_avg: real vs real {realVsReal.Average():F3}, real vs noisy (sigma 32) {realVsNoisy.Average():F3}");
    }

    [Fact]
    public void Swd_DescriptorsAreNormalisedPerColourChannel()
    {
        // Halving the contrast (an affine map per channel) changes nothing after per-set normalisation
        // but rounding to bytes: a set compared with its half-contrast copy, same patches, scores near zero.
        var faces = new SyntheticFaces(16, 32, seed: 4);
        var low = new ImageBuffer(16, 32);
        for (int i = 0; i < 16; i++)
        {
            faces.GetImage(i, low.Image(i));
            foreach (ref byte v in low.Image(i)) v = (byte)(64 + v / 2);
        }
        int[] all = [.. Enumerable.Range(0, 16)];
        var a = new DescriptorSet(new PyramidPatches(faces, all, seed: 9), 0, 16);
        var b = new DescriptorSet(new PyramidPatches(low, all, seed: 9), 0, 16);
        var other = new DescriptorSet(new PyramidPatches(faces, all, seed: 10), 0, 16);
        var swd = SlicedWasserstein.Distances([a, b, other], [(0, 1), (0, 2)], seed: 0, cancel: TestContext.Current.CancellationToken);
        // About 4 (half contrast) against 38 (the same faces, other patches): contrast is normalised away.
        Assert.True(swd[0].Average() < swd[1].Average() / 4, $"half contrast {swd[0].Average():F3} vs other patches of the same faces {swd[1].Average():F3}");
    }

    // ---- the protocol ------------------------------------------------------------------------

    [Fact]
    public void Evaluation_OfOneGeneratedImage_IsRefused_ItHasNoDiversity()
    {
        var real = new SyntheticFaces(10, 32, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => Evaluation.Run(real, new SyntheticFaces(1, 32, seed: 2), new EvalOptions { Count = 10 },
            cancel: TestContext.Current.CancellationToken));
        Assert.Contains("at least 2 generated images", error.Message);
        Assert.Throws<ArgumentException>(() => Evaluation.Run(real, new SyntheticFaces(10, 32, seed: 2), new EvalOptions { Count = 1 },
            cancel: TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Evaluation_IsDeterministicPerSeed_AndReportsCounts()
    {
        var real = new SyntheticFaces(50, 32, seed: 1);
        var fake = new SyntheticFaces(30, 32, seed: 2);
        var options = new EvalOptions { Count = 40, Seed = 5, NearestSamples = 3 };
        var a = Evaluation.Run(real, fake, options, cancel: TestContext.Current.CancellationToken);
        var b = Evaluation.Run(real, fake, options, cancel: TestContext.Current.CancellationToken);
        var c = Evaluation.Run(real, fake, options with { Seed = 6 }, cancel: TestContext.Current.CancellationToken);

        Assert.Equal(30, a.Count);                 // as many as the smaller set holds
        Assert.Equal(25, a.BaselineCount);         // two disjoint halves of 50 real images
        Assert.Equal([32, 16], a.Fake.Resolutions);
        Assert.Equal(a.Fake.Levels, b.Fake.Levels);
        Assert.Equal(a.Baseline.Levels, b.Baseline.Levels);
        Assert.Equal(a.Diversity, b.Diversity);
        Assert.Equal(a.Nearest.Select(m => m.Neighbours), b.Nearest.Select(m => m.Neighbours));
        Assert.NotEqual(a.Fake.Levels, c.Fake.Levels);
        Assert.Equal(3, a.Nearest.Length);
        Assert.All(a.Nearest, m => Assert.Equal(3, m.Neighbours.Length));
    }

    [Fact]
    public void Diversity_OfUniformColourSamples_TripsTheCollapseFlag()
    {
        var real = new SyntheticFaces(64, 32, seed: 1);
        var collapsed = new ImageBuffer(64, 32);
        var rng = new Random(3);
        for (int i = 0; i < 64; i++)
        {
            var (r, g, b) = ((byte)rng.Next(180, 190), (byte)rng.Next(120, 130), (byte)rng.Next(100, 110));
            var image = collapsed.Image(i);
            for (int p = 0; p < image.Length; p += 3) (image[p], image[p + 1], image[p + 2]) = (r, g, b);
        }
        int[] all = [.. Enumerable.Range(0, 64)];
        var score = Diversity.Compare(collapsed, all, real, all);
        Assert.True(score.Collapsed, $"flat samples: diversity {score.Fake:F3} vs real {score.Real:F3}");

        var healthy = Diversity.Compare(new SyntheticFaces(64, 32, seed: 2), all, real, all);
        Assert.False(healthy.Collapsed, $"other real faces: diversity {healthy.Fake:F3} vs {healthy.Real:F3}");
        Assert.InRange(healthy.Ratio, 0.8, 1.25);
    }

    [Fact]
    public void Diversity_IsTheRmsDistanceOverAllPairs()
    {
        var data = new SyntheticFaces(5, 16, seed: 8);
        int bytes = 16 * 16 * 3;
        double sum = 0;
        int pairs = 0;
        var a = new byte[bytes];
        var b = new byte[bytes];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
            {
                if (i == j) continue;
                data.GetImage(i, a);
                data.GetImage(j, b);
                sum += (double)NearestNeighbours.SquaredDistance(a, b) / bytes;
                pairs++;
            }
        Assert.Equal(Math.Sqrt(sum / pairs) / 255, Diversity.Measure(data, [0, 1, 2, 3, 4]), 10);
    }

    [Fact]
    public void NearestNeighbours_FindTheCopiedTrainingImage()
    {
        var real = new SyntheticFaces(40, 32, seed: 1);
        var copies = new ImageBuffer(2, 32);
        real.GetImage(17, copies.Image(0));
        real.GetImage(3, copies.Image(1));
        copies.Image(1)[100] ^= 1;
        var matches = NearestNeighbours.Find(copies, [0, 1], real, k: 2, cancel: TestContext.Current.CancellationToken);
        Assert.Equal(17, matches[0].Neighbours[0]);
        Assert.Equal(0, matches[0].Distances[0]);
        Assert.Equal(3, matches[1].Neighbours[0]);
        Assert.True(matches[1].Distances[1] > matches[1].Distances[0]);
        var grid = NearestNeighbours.Grid(copies, real, matches);
        Assert.Equal((3 * 34 + 2, 2 * 34 + 2), (grid.Width, grid.Height));
    }

    [Theory]
    [InlineData(0.5, 255)]   // the top of [-0.5, 0.5]
    [InlineData(-0.5, 0)]
    [InlineData(0.0, 128)]   // the middle, rounded half up as the sample PNGs are
    public void ImageBuffer_MapsTheRecipesPixelRange_AndGreyToRgb(double value, int expected)
    {
        using var recipe = new ConstantGrey(value, PixelRange.MinusHalfToHalf);
        var images = ImageBuffer.Generate(recipe, 3, new Generator(0), cancel: TestContext.Current.CancellationToken);
        Assert.Equal((3, 16), (images.Count, images.Size));
        Assert.All(images.Image(2).ToArray(), b => Assert.Equal(expected, b));
    }

    /// <summary>A "generator" of flat grey 16x16 images in a given pixel range.</summary>
    private sealed class ConstantGrey(double value, PixelRange range) : IGanRecipe
    {
        public string Name => "constant";
        public IReadOnlyList<(string Name, Nn.Module Module)> Modules => [];
        public IReadOnlyList<(string Name, Optim.Optimizer Optimizer)> Optimizers => [];
        public Generator Noise { get; } = new(0);
        public IReadOnlyList<string> MetricNames => [];
        public PixelRange DataRange => range;
        public IReadOnlyList<Tensor> Step(Tensor real) => throw new NotSupportedException();
        public Tensor SampleLatent(int count, Generator generator) => Tensor.Zeros([count, 1]);
        public Tensor Generate(Tensor z) => Tensor.Full([z.Shape[0], 1, 16, 16], value);
        public void Dispose() { }
    }

    // ---- command line and training -----------------------------------------------------------

    private string WriteFaces(string name, int count, int seed)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        var faces = new SyntheticFaces(count, 32, seed);
        var pixels = new byte[32 * 32 * 3];
        for (int i = 0; i < count; i++)
        {
            faces.GetImage(i, pixels);
            new RgbImage(32, 32, pixels).Save(Path.Combine(folder, $"{i:D3}.png"));
        }
        return folder;
    }

    private (int Code, string Out, string Err) Cli(params string[] args)
    {
        // Folder packs go to a temporary cache, not the user's.
        var saved = Environment.GetEnvironmentVariable("RAWGAN_CACHE");
        Environment.SetEnvironmentVariable("RAWGAN_CACHE", Path.Combine(_dir, "cache"));
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int code = RawGanCli.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }
        finally { Environment.SetEnvironmentVariable("RAWGAN_CACHE", saved); }
    }

    [Fact]
    public void EvalCommand_FakeFolder_PrintsTheTable_AndWritesNearestPng()
    {
        var real = WriteFaces("real", 40, seed: 1);
        var fake = WriteFaces("fake", 24, seed: 2);
        var grid = Path.Combine(_dir, "nearest.png");
        var (code, output, error) = Cli("eval", "--real", real, "--fake", fake, "--size", "32", "--nearest", "2", "--nearest-out", grid);
        Assert.True(code == 0, output + error);
        Assert.Contains("real vs generated", output);
        Assert.Contains("swd_16", output);
        Assert.Contains("swd_avg", output);
        Assert.Contains("diversity", output);
        Assert.True(File.Exists(grid));
    }

    [Fact]
    public void EvalCommand_FakeFolder_ComparesAtTheGeneratedImagesSize_AndSaysWhenTold_ToResize()
    {
        var real = WriteFaces("real", 24, seed: 1);
        var fake = WriteFaces("fake", 12, seed: 2); // 32x32, as `rawgan sample --each` writes a 32-pixel G's images
        var (code, json, log) = Cli("eval", "--real", real, "--fake", fake, "--nearest", "0", "--json");
        Assert.True(code == 0, json + log);
        Assert.Equal(32, JsonDocument.Parse(json).RootElement.GetProperty("size").GetInt32());
        Assert.Contains("comparing at 32x32, the generated images' size", log);

        (code, json, log) = Cli("eval", "--real", real, "--fake", fake, "--size", "16", "--nearest", "0", "--json");
        Assert.True(code == 0, json + log);
        Assert.Equal(16, JsonDocument.Parse(json).RootElement.GetProperty("size").GetInt32());
        Assert.Contains("resizing the generated images from 32x32 to 16x16", log);
    }

    [Fact]
    public void EvalCommand_Checkpoint_PrintsOneJsonObject()
    {
        var output = new StringWriter();
        int trained = RawGanCli.Run(["train", "dcgan", "--device", "cpu", "--size", "32", "--nz", "8", "--ngf", "4", "--ndf", "4",
            "--batch", "8", "--steps", "1", "--out", Path.Combine(_dir, "run")], output, output);
        Assert.True(trained == 0, output.ToString());
        var real = WriteFaces("real", 30, seed: 1);
        var (code, json, error) = Cli("eval", "--real", real, "--checkpoint", Path.Combine(_dir, "run", "checkpoints", "step-000001.safetensors"),
            "--count", "12", "--device", "cpu", "--json", "--nearest-out", Path.Combine(_dir, "n.png"));
        Assert.True(code == 0, json + error);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        foreach (var key in new[] { "swd_32", "swd_16", "swd_avg", "diversity_fake", "diversity_real", "collapse", "nearest_png" })
            Assert.True(root.TryGetProperty(key, out _), $"eval --json lacks {key}");
        Assert.Equal(12, root.GetProperty("count").GetInt32());
        Assert.Equal(12, root.GetProperty("baseline").GetProperty("count").GetInt32());
        Assert.True(root.GetProperty("swd_avg").GetDouble() > root.GetProperty("baseline").GetProperty("swd_avg").GetDouble(),
            "an untrained generator should score worse than real images");
        Assert.True(root.GetProperty("collapse").GetBoolean(), "an untrained generator's near-constant images should trip the collapse flag");
    }

    [Fact]
    public void EvalCommand_NeedsExactlyOneSourceOfGeneratedImages()
    {
        var (code, _, error) = Cli("eval", "--real", _dir);
        Assert.Equal(1, code);
        Assert.Contains("--fake", error);
    }

    [Fact]
    public void Train_WithEvalEvery_LogsSwd_OnThoseSteps()
    {
        var options = new TrainOptions { Out = Path.Combine(_dir, "evalrun"), Batch = 8, Steps = 4, SampleEvery = 4, CheckpointEvery = 100, EvalEvery = 2 };
        var recipeOptions = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });
        using var recipe = Trainer.CreateRecipe("dcgan", recipeOptions, Device.Cpu, seed: 0);
        var outcome = new Trainer(options, new SyntheticFaces(48, 32), new StringWriter()).Run(recipe, recipeOptions, Device.Cpu, CancellationToken.None);
        Assert.Equal(TrainOutcome.Finished, outcome);

        var lines = File.ReadAllLines(Path.Combine(_dir, "evalrun", "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([false, true, false, true], lines.Select(l => l.TryGetProperty("swd_avg", out _)));
        Assert.True(lines[1].GetProperty("swd_32").GetDouble() > 0);
        Assert.True(lines[3].TryGetProperty("swd_16", out _));
        Assert.True(File.Exists(Path.Combine(_dir, "evalrun", "monitor.png")));
    }
}
