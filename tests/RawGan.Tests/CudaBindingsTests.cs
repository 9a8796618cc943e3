using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Tests;

/// <summary>
/// The raw CUDA bindings: without a GPU, the probe, the resolver and the error messages; with
/// one, each library against a plain CPU loop. GPU tests skip, naming the reason, when the probe
/// finds no usable GPU or library.
/// </summary>
[Collection(nameof(CudaGpu))]
public unsafe class CudaBindingsTests(ITestOutputHelper output)
{
    private static readonly Lazy<CudaProbeReport> Probe = new(CudaProbe.Run);

    // ---------------- without a GPU ----------------

    [Fact]
    public void Probe_AnswersWithoutThrowing_AndExplainsWhatIsMissing()
    {
        var clock = Stopwatch.StartNew();
        var report = CudaProbe.Run();
        clock.Stop();
        var text = report.Describe();
        output.WriteLine($"{text}\n[probe took {clock.ElapsedMilliseconds} ms]");
        Assert.Contains("CUDA driver", text);
        if (report.GpuAvailable)
        {
            Assert.NotNull(report.DriverVersion);
            Assert.All(report.Devices, d =>
            {
                Assert.False(string.IsNullOrWhiteSpace(d.Name));
                Assert.InRange(d.ComputeMajor, 3, 20);
                Assert.True(d.Multiprocessors > 0 && d.TotalMemoryBytes > 0, $"{d}");
                Assert.Contains(d.Name, text);
            });
        }
        else
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the probe took {clock.Elapsed} on a machine without a GPU");
            Assert.Empty(report.Devices);
            Assert.False(string.IsNullOrWhiteSpace(report.GpuProblem));
            Assert.Contains(report.GpuProblem!, text);
        }
        foreach (var library in new[] { report.Driver, report.Nvrtc, report.Cublas, report.Cudnn })
        {
            if (library.Available)
            {
                Assert.False(string.IsNullOrWhiteSpace(library.Path), library.Name);
                Assert.False(string.IsNullOrWhiteSpace(library.Version), library.Name);
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(library.Hint), library.Name);
                Assert.Contains(library.Problem!, text);
                Assert.Contains(library.Hint!, text);
            }
        }
        if (!report.Driver.Available) Assert.Contains("NVIDIA driver", report.Driver.Hint);
    }

    [Fact]
    public void OverrideVariable_NamingAMissingFile_IsReportedAsSuch()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"rawgan-missing-{Guid.NewGuid():N}", "libcudnn.so.9");
        var saved = Environment.GetEnvironmentVariable("RAWGAN_LIBCUDNN");
        try
        {
            Environment.SetEnvironmentVariable("RAWGAN_LIBCUDNN", missing);
            Assert.False(NativeLibraries.TryLoad(NativeLibraries.Cudnn, out var path, out var error));
            Assert.Null(path);
            Assert.Equal($"RAWGAN_LIBCUDNN={missing}: no such file", error);
            var cudnn = CudaProbe.Run().Cudnn;
            Assert.False(cudnn.Available);
            Assert.Contains(missing, cudnn.Problem);
            Assert.Contains("RAWGAN_LIBCUDNN", cudnn.Hint);
        }
        finally
        {
            Environment.SetEnvironmentVariable("RAWGAN_LIBCUDNN", saved);
        }
    }

    [Fact]
    public void CallingABinding_WithoutItsLibrary_ThrowsDllNotFound_NamingWhatWasTried()
    {
        Assert.SkipWhen(NativeLibraries.TryLoad(NativeLibraries.Cuda, out var path, out _), $"the driver is installed here ({path})");
        var e = Assert.Throws<DllNotFoundException>(() => Cuda.cuDriverGetVersion(out _));
        Assert.Contains(NativeLibraries.FileNames(NativeLibraries.Cuda)[0], e.Message);
        Assert.Contains("RAWGAN_LIBCUDA", e.Message);
    }

    [Fact]
    public void CudaException_Message_NamesTheCallAndTheStatus()
    {
        var e = Assert.Throws<CudaException>(() => Cuda.Check(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "Cuda.cuMemAlloc_v2(out ptr, bytes)"));
        Assert.Equal(("cuda", "cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY"), (e.Library, e.Call, e.Status, e.StatusName));
        Assert.StartsWith("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY", e.Message);
        if (NativeLibraries.IsLoaded(NativeLibraries.Cuda))
            Assert.Equal("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.Message);

        // CallerArgumentExpression hands Check the expression; its callee's name is the call.
        var c = Assert.Throws<CudaException>(() => Cudnn.Check(cudnnConvolutionForward_Stub()));
        Assert.Equal(("cudnn", "cudnnConvolutionForward_Stub", 2000), (c.Library, c.Call, c.Status));
        Assert.StartsWith("cudnnConvolutionForward_Stub failed: CUDNN_STATUS_BAD_PARAM", c.Message);

        var b = Assert.Throws<CudaException>(() => Cublas.Check(cublasStatus_t.CUBLAS_STATUS_INVALID_VALUE, "Cublas.cublasSgemm_v2(h, ...)"));
        Assert.StartsWith("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE", b.Message);
        var n = Assert.Throws<CudaException>(() => Nvrtc.Check(nvrtcResult.NVRTC_ERROR_COMPILATION, "Nvrtc.nvrtcCompileProgram(p, 1, options)"));
        Assert.Equal("nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION", n.Message);

        Cuda.Check(CUresult.CUDA_SUCCESS);
        Cudnn.Check(cudnnStatus_t.CUDNN_STATUS_SUCCESS);
        Assert.Equal("status", CudaException.FunctionName("status"));
    }

    private static cudnnStatus_t cudnnConvolutionForward_Stub() => cudnnStatus_t.CUDNN_STATUS_BAD_PARAM;

    [Fact]
    public void Structs_HaveTheHeadersLayout()
    {
        Assert.Equal(8, sizeof(CUdeviceptr));
        Assert.Equal(IntPtr.Size, sizeof(CUstream));
        Assert.Equal(4, sizeof(CUdevice));
        // cudnnConvolution*AlgoPerf_t: int algo, int status, float time, size_t memory (offset 16),
        // int determinism, int mathType, int reserved[3], padded to 48.
        Assert.Equal(48, sizeof(cudnnConvolutionFwdAlgoPerf_t));
        Assert.Equal(48, sizeof(cudnnConvolutionBwdDataAlgoPerf_t));
        Assert.Equal(48, sizeof(cudnnConvolutionBwdFilterAlgoPerf_t));
        Assert.Equal(48, Marshal.SizeOf<cudnnConvolutionFwdAlgoPerf_t>());
        Assert.Equal(8, (int)Marshal.OffsetOf<cudnnConvolutionBwdDataAlgoPerf_t>("time"));
        Assert.Equal(16, (int)Marshal.OffsetOf<cudnnConvolutionBwdFilterAlgoPerf_t>("memory"));
        Assert.Equal(24, (int)Marshal.OffsetOf<cudnnConvolutionFwdAlgoPerf_t>("determinism"));
        Assert.Equal(28, (int)Marshal.OffsetOf<cudnnConvolutionFwdAlgoPerf_t>("mathType"));
    }

    [Fact]
    public void EntryPoints_AreTheNativeNames_CheckedAtLoadTime()
    {
        var cuda = NativeLibraries.EntryPoints(NativeLibraries.Cuda);
        Assert.Contains("cuMemAlloc_v2", cuda);
        Assert.Contains("cuEventElapsedTime", cuda);
        Assert.Contains("cuGraphInstantiateWithFlags", cuda);
        Assert.DoesNotContain("Check", cuda);
        Assert.Contains("nvrtcGetCUBIN", NativeLibraries.EntryPoints(NativeLibraries.Nvrtc));
        Assert.Contains("cublasGemmStridedBatchedEx", NativeLibraries.EntryPoints(NativeLibraries.Cublas));
        Assert.Contains("cudnnGetConvolutionBackwardFilterAlgorithm_v7", NativeLibraries.EntryPoints(NativeLibraries.Cudnn));
        Assert.Throws<ArgumentException>(() => NativeLibraries.TryLoad("cufft", out _, out _));
    }

    // ---------------- with a GPU ----------------

    private static readonly Lazy<CUcontext> PrimaryContext = new(() =>
    {
        Cuda.Check(Cuda.cuInit(0));
        Cuda.Check(Cuda.cuDeviceGet(out var device, 0));
        Cuda.Check(Cuda.cuDevicePrimaryCtxRetain(out var context, device));
        return context;
    });

    /// <summary>Skips without a GPU; otherwise makes device 0's primary context current on this thread.</summary>
    private static CudaProbeReport RequireGpu(params Func<CudaProbeReport, CudaLibraryStatus>[] libraries)
    {
        var report = Probe.Value;
        Assert.SkipUnless(report.GpuAvailable, $"no usable GPU: {report.GpuProblem}");
        foreach (var library in libraries.Select(pick => pick(report)))
            Assert.SkipUnless(library.Available, $"{library.Name} is unavailable: {library.Problem}");
        Cuda.Check(Cuda.cuCtxSetCurrent(PrimaryContext.Value));
        return report;
    }

    [Fact]
    public void Memory_RoundTripsThroughTheDevice_Exactly()
    {
        RequireGpu();
        const int n = 10_007;
        const nuint bytes = n * sizeof(float);
        var data = RandomFloats(n, seed: 1);
        using var gpu = new DeviceMemory();
        var a = gpu.Upload(data);
        Assert.Equal(data, DeviceMemory.Download(a, n));

        Cuda.Check(Cuda.cuMemGetInfo_v2(out var free, out var total));
        Assert.True(free > 0 && free <= total, $"free {free} of {total}");

        // The async path: device-to-device, memset, and a copy into page-locked memory.
        Cuda.Check(Cuda.cuStreamCreate(out var stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        var b = gpu.Alloc(n);
        Cuda.Check(Cuda.cuMemcpyDtoDAsync_v2(b, a, bytes, stream));
        Cuda.Check(Cuda.cuMemsetD32Async(a, BitConverter.SingleToUInt32Bits(1.5f), n, stream));
        Cuda.Check(Cuda.cuMemAllocHost_v2(out var pinned, bytes));
        Cuda.Check(Cuda.cuMemcpyDtoHAsync_v2(pinned, b, bytes, stream));
        Cuda.Check(Cuda.cuStreamSynchronize(stream));
        Assert.Equal(data, new ReadOnlySpan<float>(pinned, n).ToArray());
        Assert.All(DeviceMemory.Download(a, n), v => Assert.Equal(1.5f, v));

        new Span<float>(pinned, n).Fill(-2f);
        Cuda.Check(Cuda.cuMemcpyHtoDAsync_v2(a, pinned, bytes, stream));
        Cuda.Check(Cuda.cuMemsetD8Async(b, 0, bytes, stream));
        Cuda.Check(Cuda.cuStreamSynchronize(stream));
        Assert.All(DeviceMemory.Download(a, n), v => Assert.Equal(-2f, v));
        Assert.All(DeviceMemory.Download(b, n), v => Assert.Equal(0f, v));
        Cuda.Check(Cuda.cuMemFreeHost(pinned));
        Cuda.Check(Cuda.cuStreamDestroy_v2(stream));
    }

    private const string SaxpySource = """
        extern "C" __global__ void saxpy(float a, const float* x, float* y, int n)
        {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) y[i] = a * x[i] + y[i];
        }
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Nvrtc_CompiledSaxpy_MatchesTheCpu(bool cubin)
    {
        var device = RequireGpu(r => r.Nvrtc).Devices[0];
        // CUBIN for the device's own architecture, or PTX for its virtual one that the driver JIT-compiles.
        var target = $"{(cubin ? "sm" : "compute")}_{device.ComputeMajor}{device.ComputeMinor}";
        var image = Compile(SaxpySource, target, cubin);
        CUmodule module;
        fixed (byte* p = image) Cuda.Check(Cuda.cuModuleLoadData(out module, p));
        Cuda.Check(Cuda.cuModuleGetFunction(out var saxpy, module, "saxpy"));
        Cuda.Check(Cuda.cuFuncGetAttribute(out var maxThreads, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, saxpy));
        Assert.True(maxThreads >= 256, $"saxpy allows {maxThreads} threads per block");
        Cuda.Check(Cuda.cuFuncSetAttribute(saxpy, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 0));

        const int n = 1000;
        var x = RandomFloats(n, seed: 2);
        var y = RandomFloats(n, seed: 3);
        using var gpu = new DeviceMemory();
        CUdeviceptr dx = gpu.Upload(x), dy = gpu.Upload(y);
        float a = 1.75f;
        int count = n;
        // One pointer per kernel argument, each at that argument's value.
        void** args = stackalloc void*[4];
        args[0] = &a;
        args[1] = &dx;
        args[2] = &dy;
        args[3] = &count;
        Cuda.Check(Cuda.cuLaunchKernel(saxpy, (n + 255) / 256, 1, 1, 256, 1, 1, 0, default, args, null));
        Cuda.Check(Cuda.cuCtxSynchronize());

        var expected = new double[n];
        for (var i = 0; i < n; i++) expected[i] = 1.75 * x[i] + y[i];
        AssertClose(expected, DeviceMemory.Download(dy, n), 1e-6, $"saxpy[{n}] via {target}");
        Cuda.Check(Cuda.cuModuleUnload(module));
    }

    private static byte[] Compile(string source, string target, bool cubin)
    {
        Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out var program, source, "saxpy.cu", 0, null, null));
        try
        {
            var status = Nvrtc.nvrtcCompileProgram(program, 1, [$"--gpu-architecture={target}"]);
            Assert.True(status == nvrtcResult.NVRTC_SUCCESS, $"nvrtcCompileProgram: {status}\n{Nvrtc.ProgramLog(program)}");
            nuint size;
            if (cubin) Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(program, out size));
            else Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out size)); // counts the terminating NUL
            var image = new byte[size];
            fixed (byte* p = image)
            {
                if (cubin) Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(program, p));
                else Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p));
            }
            Assert.True(image.Length > 0);
            return image;
        }
        finally
        {
            Nvrtc.Check(Nvrtc.nvrtcDestroyProgram(ref program));
            Assert.Equal(default, program);
        }
    }

    [Fact]
    public void Cublas_Sgemm_OddSizes_MatchesNaiveProduct()
    {
        RequireGpu(r => r.Cublas);
        const int m = 33, n = 17, k = 29;
        var a = RandomFloats(m * k, seed: 4);
        var b = RandomFloats(k * n, seed: 5);
        using var gpu = new DeviceMemory();
        CUdeviceptr da = gpu.Upload(a), db = gpu.Upload(b), dc = gpu.Alloc(m * n);
        Cublas.Check(Cublas.cublasCreate_v2(out var handle));
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.MAJOR_VERSION, out var major));
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.MINOR_VERSION, out var minor));
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.PATCH_LEVEL, out var patch));
        Cublas.Check(Cublas.cublasGetVersion_v2(handle, out var version));
        Assert.Equal(major * 10000 + minor * 100 + patch, version);
        Cuda.Check(Cuda.cuStreamCreate(out var stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        Cublas.Check(Cublas.cublasSetStream_v2(handle, stream));
        Cublas.Check(Cublas.cublasSetMathMode(handle, cublasMath_t.CUBLAS_DEFAULT_MATH));

        // Row-major C = A B is column-major C^T = B^T A^T: swap the operands and m with n.
        float one = 1f, zero = 0f;
        Cublas.Check(Cublas.cublasSgemm_v2(handle, cublasOperation_t.CUBLAS_OP_N, cublasOperation_t.CUBLAS_OP_N,
            n, m, k, &one, db, n, da, k, &zero, dc, n));
        Cuda.Check(Cuda.cuStreamSynchronize(stream));
        AssertClose(NaiveMatmul(a, b, m, n, k), DeviceMemory.Download(dc, m * n), 1e-5, $"sgemm {m}x{n}x{k}");

        // Transposed operands: C = A^T^T B^T^T, with A stored k x m and B stored n x k.
        var at = Transpose(a, m, k);
        var bt = Transpose(b, k, n);
        CUdeviceptr dat = gpu.Upload(at), dbt = gpu.Upload(bt);
        Cublas.Check(Cublas.cublasSgemm_v2(handle, cublasOperation_t.CUBLAS_OP_T, cublasOperation_t.CUBLAS_OP_T,
            n, m, k, &one, dbt, k, dat, m, &zero, dc, n));
        Cuda.Check(Cuda.cuStreamSynchronize(stream));
        AssertClose(NaiveMatmul(a, b, m, n, k), DeviceMemory.Download(dc, m * n), 1e-5, $"sgemm T,T {m}x{n}x{k}");

        Cublas.Check(Cublas.cublasDestroy_v2(handle));
        Cuda.Check(Cuda.cuStreamDestroy_v2(stream));
    }

    [Fact]
    public void Cublas_GemmExAndStridedBatched_MatchNaiveProducts()
    {
        RequireGpu(r => r.Cublas);
        const int m = 33, n = 17, k = 29, batch = 3;
        var a = RandomFloats(batch * m * k, seed: 6);
        var b = RandomFloats(batch * k * n, seed: 7);
        var expected = Enumerable.Range(0, batch)
            .SelectMany(i => NaiveMatmul(a[(i * m * k)..((i + 1) * m * k)], b[(i * k * n)..((i + 1) * k * n)], m, n, k))
            .ToArray();
        using var gpu = new DeviceMemory();
        CUdeviceptr da = gpu.Upload(a), db = gpu.Upload(b), dc = gpu.Alloc(batch * m * n);
        Cublas.Check(Cublas.cublasCreate_v2(out var handle));
        const nuint workspaceBytes = 4 << 20;
        Cublas.Check(Cublas.cublasSetWorkspace_v2(handle, gpu.AllocBytes(workspaceBytes), workspaceBytes));
        float one = 1f, zero = 0f;
        const cublasOperation_t N = cublasOperation_t.CUBLAS_OP_N;
        const cudaDataType F32 = cudaDataType.CUDA_R_32F;

        Cublas.Check(Cublas.cublasGemmStridedBatchedEx(handle, N, N, n, m, k,
            &one, db, F32, n, k * n, da, F32, k, m * k, &zero, dc, F32, n, m * n,
            batch, cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(expected, DeviceMemory.Download(dc, batch * m * n), 1e-5, $"gemmStridedBatchedEx {batch}x{m}x{n}x{k}");

        Cuda.Check(Cuda.cuMemsetD32Async(dc, 0, batch * m * n, default));
        Cublas.Check(Cublas.cublasSgemmStridedBatched(handle, N, N, n, m, k,
            &one, db, n, k * n, da, k, m * k, &zero, dc, n, m * n, batch));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(expected, DeviceMemory.Download(dc, batch * m * n), 1e-5, $"sgemmStridedBatched {batch}x{m}x{n}x{k}");

        // Batch 1 alone through GemmEx, accumulating onto what is there (beta = 1).
        Cublas.Check(Cublas.cublasGemmEx(handle, N, N, n, m, k,
            &one, db.Offset(k * n * sizeof(float)), F32, n, da.Offset(m * k * sizeof(float)), F32, k,
            &one, dc.Offset(m * n * sizeof(float)), F32, n, cublasComputeType_t.CUBLAS_COMPUTE_32F, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(expected[(m * n)..(2 * m * n)].Select(v => 2 * v).ToArray(),
            DeviceMemory.Download(dc.Offset(m * n * sizeof(float)), m * n), 2e-5, $"gemmEx beta=1 {m}x{n}x{k}");
        Cublas.Check(Cublas.cublasDestroy_v2(handle));
    }

    [Fact]
    public void Cudnn_Convolution_ForwardAndBackward_MatchNaiveLoops()
    {
        RequireGpu(r => r.Cudnn);
        const int N = 2, C = 3, H = 9, W = 8, K = 4, R = 3, S = 3, pad = 1, stride = 2;
        const int P = (H + 2 * pad - R) / stride + 1, Q = (W + 2 * pad - S) / stride + 1;
        var x = RandomFloats(N * C * H * W, seed: 8);
        var w = RandomFloats(K * C * R * S, seed: 9);
        var dy = RandomFloats(N * K * P * Q, seed: 10);
        var bias = RandomFloats(K, seed: 11);

        // The naive loops: each (x, w, y) index triple the convolution pairs up.
        double[] y = new double[N * K * P * Q], dx = new double[x.Length], dw = new double[w.Length], db = new double[K];
        for (var ni = 0; ni < N; ni++)
        for (var ki = 0; ki < K; ki++)
        for (var p = 0; p < P; p++)
        for (var q = 0; q < Q; q++)
        {
            var yi = ((ni * K + ki) * P + p) * Q + q;
            db[ki] += dy[yi];
            for (var ci = 0; ci < C; ci++)
            for (var r = 0; r < R; r++)
            for (var s = 0; s < S; s++)
            {
                int h = p * stride - pad + r, v = q * stride - pad + s;
                if (h < 0 || h >= H || v < 0 || v >= W) continue;
                int xi = ((ni * C + ci) * H + h) * W + v, wi = ((ki * C + ci) * R + r) * S + s;
                y[yi] += (double)x[xi] * w[wi];
                dx[xi] += (double)w[wi] * dy[yi];
                dw[wi] += (double)x[xi] * dy[yi];
            }
        }

        using var gpu = new DeviceMemory();
        CUdeviceptr gx = gpu.Upload(x), gw = gpu.Upload(w), gdy = gpu.Upload(dy), gbias = gpu.Upload(bias);
        CUdeviceptr gy = gpu.Alloc(y.Length), gdx = gpu.Alloc(x.Length), gdw = gpu.Alloc(w.Length), gdb = gpu.Alloc(K);
        Cudnn.Check(Cudnn.cudnnCreate(out var handle));
        var xDesc = Tensor4d(N, C, H, W);
        var yDesc = Tensor4d(N, K, P, Q);
        var biasDesc = Tensor4d(1, K, 1, 1);
        // dx through explicit strides and dy through the N-d form: the same shapes, other setters.
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var dxDesc));
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptorEx(dxDesc, cudnnDataType_t.CUDNN_DATA_FLOAT, N, C, H, W, C * H * W, H * W, W, 1));
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var dyDesc));
        int* dims = stackalloc int[] { N, K, P, Q };
        int* strides = stackalloc int[] { K * P * Q, P * Q, Q, 1 };
        Cudnn.Check(Cudnn.cudnnSetTensorNdDescriptor(dyDesc, cudnnDataType_t.CUDNN_DATA_FLOAT, 4, dims, strides));
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(out var wDesc));
        Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(wDesc, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, K, C, R, S));
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(out var conv));
        Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(conv, pad, pad, stride, stride, 1, 1,
            cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, cudnnDataType_t.CUDNN_DATA_FLOAT));
        Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(conv, 1));
        // FMA math: no TF32 rounding, so float results stay within float error of the loops.
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(conv, cudnnMathType_t.CUDNN_FMA_MATH));
        Cudnn.Check(Cudnn.cudnnGetConvolution2dForwardOutputDim(conv, xDesc, wDesc, out var on, out var oc, out var oh, out var ow));
        Assert.Equal((N, K, P, Q), (on, oc, oh, ow));
        float one = 1f, zero = 0f;

        // Forward, with the algorithm from the heuristics; Find must agree that some algorithm works.
        Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, out var maxFwd));
        cudnnConvolutionFwdAlgoPerf_t* fwd = stackalloc cudnnConvolutionFwdAlgoPerf_t[maxFwd];
        Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, xDesc, wDesc, conv, yDesc, maxFwd, out var gotFwd, fwd));
        var fwdAlgo = First(new Span<cudnnConvolutionFwdAlgoPerf_t>(fwd, gotFwd), pf => pf.status, pf => pf.algo, pf => pf.memory);
        Assert.InRange((int)fwdAlgo, 0, (int)cudnnConvolutionFwdAlgo_t.CUDNN_CONVOLUTION_FWD_ALGO_COUNT - 1);
        Cudnn.Check(Cudnn.cudnnFindConvolutionForwardAlgorithm(handle, xDesc, wDesc, conv, yDesc, maxFwd, out var foundFwd, fwd));
        var found = new Span<cudnnConvolutionFwdAlgoPerf_t>(fwd, foundFwd).ToArray();
        Assert.Contains(found, pf => pf.status == cudnnStatus_t.CUDNN_STATUS_SUCCESS && pf.time >= 0 && pf.memory < (1u << 30));
        Cudnn.Check(Cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, xDesc, wDesc, conv, yDesc, fwdAlgo, out var fwdBytes));
        Cudnn.Check(Cudnn.cudnnConvolutionForward(handle, &one, xDesc, gx, wDesc, gw, conv, fwdAlgo,
            gpu.AllocBytes(fwdBytes), fwdBytes, &zero, yDesc, gy));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(y, DeviceMemory.Download(gy, y.Length), 1e-5, $"conv2d forward x[{N},{C},{H},{W}] w[{K},{C},{R},{S}] {fwdAlgo}");

        // y += bias, broadcast over N, H, W.
        Cudnn.Check(Cudnn.cudnnAddTensor(handle, &one, biasDesc, gbias, &one, yDesc, gy));
        Cuda.Check(Cuda.cuCtxSynchronize());
        var yBias = y.Select((v, i) => v + bias[i / (P * Q) % K]).ToArray();
        AssertClose(yBias, DeviceMemory.Download(gy, y.Length), 1e-5, "addTensor bias");

        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, out var maxData));
        cudnnConvolutionBwdDataAlgoPerf_t* data = stackalloc cudnnConvolutionBwdDataAlgoPerf_t[maxData];
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, wDesc, dyDesc, conv, dxDesc, maxData, out var gotData, data));
        var dataAlgo = First(new Span<cudnnConvolutionBwdDataAlgoPerf_t>(data, gotData), pf => pf.status, pf => pf.algo, pf => pf.memory);
        Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, wDesc, dyDesc, conv, dxDesc, maxData, out var foundData, data));
        Assert.True(foundData > 0 && data[0].status == cudnnStatus_t.CUDNN_STATUS_SUCCESS, $"find bwd data: {foundData}, {data[0].status}");
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, wDesc, dyDesc, conv, dxDesc, dataAlgo, out var dataBytes));
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(handle, &one, wDesc, gw, dyDesc, gdy, conv, dataAlgo,
            gpu.AllocBytes(dataBytes), dataBytes, &zero, dxDesc, gdx));

        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, out var maxFilter));
        cudnnConvolutionBwdFilterAlgoPerf_t* filter = stackalloc cudnnConvolutionBwdFilterAlgoPerf_t[maxFilter];
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, xDesc, dyDesc, conv, wDesc, maxFilter, out var gotFilter, filter));
        var filterAlgo = First(new Span<cudnnConvolutionBwdFilterAlgoPerf_t>(filter, gotFilter), pf => pf.status, pf => pf.algo, pf => pf.memory);
        Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, xDesc, dyDesc, conv, wDesc, maxFilter, out var foundFilter, filter));
        Assert.True(foundFilter > 0 && filter[0].status == cudnnStatus_t.CUDNN_STATUS_SUCCESS, $"find bwd filter: {foundFilter}, {filter[0].status}");
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, xDesc, dyDesc, conv, wDesc, filterAlgo, out var filterBytes));
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(handle, &one, xDesc, gx, dyDesc, gdy, conv, filterAlgo,
            gpu.AllocBytes(filterBytes), filterBytes, &zero, wDesc, gdw));
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardBias(handle, &one, dyDesc, gdy, &zero, biasDesc, gdb));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(dx, DeviceMemory.Download(gdx, x.Length), 1e-5, $"conv2d backward data {dataAlgo}");
        AssertClose(dw, DeviceMemory.Download(gdw, w.Length), 1e-5, $"conv2d backward filter {filterAlgo}");
        AssertClose(db, DeviceMemory.Download(gdb, K), 1e-5, "conv2d backward bias");

        Cudnn.Check(Cudnn.cudnnDestroyConvolutionDescriptor(conv));
        Cudnn.Check(Cudnn.cudnnDestroyFilterDescriptor(wDesc));
        foreach (var desc in new[] { xDesc, yDesc, biasDesc, dxDesc, dyDesc }) Cudnn.Check(Cudnn.cudnnDestroyTensorDescriptor(desc));
        Cudnn.Check(Cudnn.cudnnDestroy(handle));
    }

    [Fact]
    public void Cudnn_BatchNorm_TrainingInferenceAndBackward_MatchTheFormulas()
    {
        RequireGpu(r => r.Cudnn);
        const int N = 4, C = 3, H = 5, W = 6, M = N * H * W;
        const double factor = 0.1, eps = 1e-5;
        var x = RandomFloats(N * C * H * W, seed: 12).Select((v, i) => 2 * v + i / (H * W) % C).ToArray();
        var gamma = RandomFloats(C, seed: 13);
        var beta = RandomFloats(C, seed: 14);
        var dy = RandomFloats(x.Length, seed: 15);
        int Channel(int i) => i / (H * W) % C;

        // The formulas, per channel: statistics over N, H, W; the running variance is unbiased.
        var mean = new double[C];
        var variance = new double[C];
        for (var i = 0; i < x.Length; i++) mean[Channel(i)] += x[i] / (double)M;
        for (var i = 0; i < x.Length; i++) variance[Channel(i)] += (x[i] - mean[Channel(i)]) * (x[i] - mean[Channel(i)]) / M;
        var invStd = variance.Select(v => 1 / Math.Sqrt(v + eps)).ToArray();
        var xhat = x.Select((v, i) => (v - mean[Channel(i)]) * invStd[Channel(i)]).ToArray();
        var y = xhat.Select((v, i) => gamma[Channel(i)] * v + beta[Channel(i)]).ToArray();
        var runningMean = mean.Select(v => factor * v).ToArray();
        var runningVar = variance.Select(v => (1 - factor) + factor * v * M / (M - 1)).ToArray();
        double[] dbeta = new double[C], dgamma = new double[C];
        for (var i = 0; i < x.Length; i++)
        {
            dbeta[Channel(i)] += dy[i];
            dgamma[Channel(i)] += dy[i] * xhat[i];
        }
        var dx = dy.Select((d, i) => gamma[Channel(i)] * invStd[Channel(i)] / M * (M * d - dbeta[Channel(i)] - xhat[i] * dgamma[Channel(i)])).ToArray();
        var yInference = x.Select((v, i) => gamma[Channel(i)] * (v - runningMean[Channel(i)]) / Math.Sqrt(runningVar[Channel(i)] + eps) + beta[Channel(i)]).ToArray();

        using var gpu = new DeviceMemory();
        CUdeviceptr gx = gpu.Upload(x), ggamma = gpu.Upload(gamma), gbeta = gpu.Upload(beta), gdy = gpu.Upload(dy);
        CUdeviceptr gRunMean = gpu.Upload(new float[C]), gRunVar = gpu.Upload([1f, 1f, 1f]);
        CUdeviceptr gy = gpu.Alloc(x.Length), gSaveMean = gpu.Alloc(C), gSaveInvStd = gpu.Alloc(C);
        CUdeviceptr gdx = gpu.Alloc(x.Length), gdgamma = gpu.Alloc(C), gdbeta = gpu.Alloc(C);
        Cudnn.Check(Cudnn.cudnnCreate(out var handle));
        var xDesc = Tensor4d(N, C, H, W);
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var bnDesc));
        const cudnnBatchNormMode_t mode = cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL;
        Cudnn.Check(Cudnn.cudnnDeriveBNTensorDescriptor(bnDesc, xDesc, mode));
        float one = 1f, zero = 0f;

        Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardTraining(handle, mode, &one, &zero, xDesc, gx, xDesc, gy,
            bnDesc, ggamma, gbeta, factor, gRunMean, gRunVar, eps, gSaveMean, gSaveInvStd));
        Cuda.Check(Cuda.cuCtxSynchronize());
        var shape = $"x[{N},{C},{H},{W}]";
        AssertClose(y, DeviceMemory.Download(gy, x.Length), 1e-5, $"batchnorm forward y {shape}");
        AssertClose(mean, DeviceMemory.Download(gSaveMean, C), 1e-5, $"batchnorm saved mean {shape}");
        AssertClose(invStd, DeviceMemory.Download(gSaveInvStd, C), 1e-5, $"batchnorm saved inverse std {shape}");
        AssertClose(runningMean, DeviceMemory.Download(gRunMean, C), 1e-5, $"batchnorm running mean {shape}");
        AssertClose(runningVar, DeviceMemory.Download(gRunVar, C), 1e-5, $"batchnorm running variance {shape}");

        Cudnn.Check(Cudnn.cudnnBatchNormalizationBackward(handle, mode, &one, &zero, &one, &zero,
            xDesc, gx, xDesc, gdy, xDesc, gdx, bnDesc, ggamma, gdgamma, gdbeta, eps, gSaveMean, gSaveInvStd));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(dx, DeviceMemory.Download(gdx, x.Length), 1e-5, $"batchnorm backward dx {shape}");
        AssertClose(dgamma, DeviceMemory.Download(gdgamma, C), 1e-5, $"batchnorm backward dgamma {shape}");
        AssertClose(dbeta, DeviceMemory.Download(gdbeta, C), 1e-5, $"batchnorm backward dbeta {shape}");

        Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardInference(handle, mode, &one, &zero, xDesc, gx, xDesc, gy,
            bnDesc, ggamma, gbeta, gRunMean, gRunVar, eps));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(yInference, DeviceMemory.Download(gy, x.Length), 1e-5, $"batchnorm inference y {shape}");

        Cudnn.Check(Cudnn.cudnnDestroyTensorDescriptor(bnDesc));
        Cudnn.Check(Cudnn.cudnnDestroyTensorDescriptor(xDesc));
        Cudnn.Check(Cudnn.cudnnDestroy(handle));
    }

    [Fact]
    public void Cudnn_MaxPooling_ForwardAndBackward_MatchNaiveLoops()
    {
        RequireGpu(r => r.Cudnn);
        const int N = 2, C = 3, H = 7, W = 6, window = 2, stride = 2, P = (H - window) / stride + 1, Q = (W - window) / stride + 1;
        var x = RandomFloats(N * C * H * W, seed: 16);
        var dy = RandomFloats(N * C * P * Q, seed: 17);
        double[] y = new double[dy.Length], dx = new double[x.Length];
        for (var nc = 0; nc < N * C; nc++)
        for (var p = 0; p < P; p++)
        for (var q = 0; q < Q; q++)
        {
            var best = -1;
            for (var r = 0; r < window; r++)
            for (var s = 0; s < window; s++)
            {
                var xi = (nc * H + p * stride + r) * W + q * stride + s;
                if (best < 0 || x[xi] > x[best]) best = xi;
            }
            var yi = (nc * P + p) * Q + q;
            y[yi] = x[best];
            dx[best] += dy[yi];
        }

        using var gpu = new DeviceMemory();
        CUdeviceptr gx = gpu.Upload(x), gdy = gpu.Upload(dy), gy = gpu.Alloc(y.Length), gdx = gpu.Alloc(x.Length);
        Cudnn.Check(Cudnn.cudnnCreate(out var handle));
        var xDesc = Tensor4d(N, C, H, W);
        var yDesc = Tensor4d(N, C, P, Q);
        Cudnn.Check(Cudnn.cudnnCreatePoolingDescriptor(out var pool));
        Cudnn.Check(Cudnn.cudnnSetPooling2dDescriptor(pool, cudnnPoolingMode_t.CUDNN_POOLING_MAX, cudnnNanPropagation_t.CUDNN_PROPAGATE_NAN,
            window, window, 0, 0, stride, stride));
        float one = 1f, zero = 0f;
        Cudnn.Check(Cudnn.cudnnPoolingForward(handle, pool, &one, xDesc, gx, &zero, yDesc, gy));
        Cudnn.Check(Cudnn.cudnnPoolingBackward(handle, pool, &one, yDesc, gy, yDesc, gdy, xDesc, gx, &zero, xDesc, gdx));
        Cuda.Check(Cuda.cuCtxSynchronize());
        AssertClose(y, DeviceMemory.Download(gy, y.Length), 0, $"max pool forward x[{N},{C},{H},{W}]");
        AssertClose(dx, DeviceMemory.Download(gdx, x.Length), 0, $"max pool backward x[{N},{C},{H},{W}]");
        Cudnn.Check(Cudnn.cudnnDestroyPoolingDescriptor(pool));
        Cudnn.Check(Cudnn.cudnnDestroyTensorDescriptor(xDesc));
        Cudnn.Check(Cudnn.cudnnDestroyTensorDescriptor(yDesc));
        Cudnn.Check(Cudnn.cudnnDestroy(handle));
    }

    [Fact]
    public void Events_TimeStreamWork_AndCapturedGraphsReplayIt()
    {
        RequireGpu();
        const int n = 16 << 20; // 64 MiB of floats: long enough to time
        using var gpu = new DeviceMemory();
        CUdeviceptr a = gpu.Alloc(n), b = gpu.Alloc(n);
        Cuda.Check(Cuda.cuStreamCreate(out var stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        Cuda.Check(Cuda.cuEventCreate(out var start, CUevent_flags.CU_EVENT_DEFAULT));
        Cuda.Check(Cuda.cuEventCreate(out var stop, CUevent_flags.CU_EVENT_DEFAULT));
        Cuda.Check(Cuda.cuEventRecord(start, stream));
        Cuda.Check(Cuda.cuMemsetD32Async(a, 0, n, stream));
        Cuda.Check(Cuda.cuMemcpyDtoDAsync_v2(b, a, n * sizeof(float), stream));
        Cuda.Check(Cuda.cuEventRecord(stop, stream));
        Cuda.Check(Cuda.cuEventSynchronize(stop));
        Cuda.Check(Cuda.cuEventElapsedTime(out var ms, start, stop));
        Assert.True(ms > 0 && ms < 10_000, $"memset + copy of 64 MiB took {ms} ms");

        // Capture a memset and a copy, then replay them twice from the instantiated graph.
        Cuda.Check(Cuda.cuStreamBeginCapture_v2(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
        Cuda.Check(Cuda.cuMemsetD32Async(a, BitConverter.SingleToUInt32Bits(7f), n, stream));
        Cuda.Check(Cuda.cuMemcpyDtoDAsync_v2(b, a, n * sizeof(float), stream));
        Cuda.Check(Cuda.cuStreamEndCapture(stream, out var graph));
        Cuda.Check(Cuda.cuGraphInstantiateWithFlags(out var exec, graph, CUgraphInstantiate_flags.None));
        Cuda.Check(Cuda.cuGraphLaunch(exec, stream));
        Cuda.Check(Cuda.cuGraphLaunch(exec, stream));
        // A second stream waits on the first through an event before reading the result.
        Cuda.Check(Cuda.cuEventRecord(stop, stream));
        Cuda.Check(Cuda.cuStreamCreate(out var reader, CUstream_flags.CU_STREAM_NON_BLOCKING));
        Cuda.Check(Cuda.cuStreamWaitEvent(reader, stop, 0));
        var tail = new float[1024];
        fixed (float* p = tail)
        {
            Cuda.Check(Cuda.cuMemcpyDtoHAsync_v2(p, b.Offset((n - tail.Length) * sizeof(float)), (nuint)(tail.Length * sizeof(float)), reader));
            Cuda.Check(Cuda.cuStreamSynchronize(reader));
        }
        Assert.All(tail, v => Assert.Equal(7f, v));

        Cuda.Check(Cuda.cuGraphExecDestroy(exec));
        Cuda.Check(Cuda.cuGraphDestroy(graph));
        Cuda.Check(Cuda.cuEventDestroy_v2(start));
        Cuda.Check(Cuda.cuEventDestroy_v2(stop));
        Cuda.Check(Cuda.cuStreamDestroy_v2(reader));
        Cuda.Check(Cuda.cuStreamDestroy_v2(stream));
    }

    // ---------------- helpers ----------------

    /// <summary>Device buffers of one test, freed together.</summary>
    private sealed class DeviceMemory : IDisposable
    {
        private readonly List<CUdeviceptr> owned = [];

        public CUdeviceptr AllocBytes(nuint bytes)
        {
            if (bytes == 0) return CUdeviceptr.Null;
            Cuda.Check(Cuda.cuMemAlloc_v2(out var p, bytes));
            owned.Add(p);
            return p;
        }

        public CUdeviceptr Alloc(int floats) => AllocBytes((nuint)floats * sizeof(float));

        public CUdeviceptr Upload(float[] host)
        {
            var p = Alloc(host.Length);
            fixed (float* h = host) Cuda.Check(Cuda.cuMemcpyHtoD_v2(p, h, (nuint)host.Length * sizeof(float)));
            return p;
        }

        /// <summary>A synchronous copy: it waits for work on the legacy default stream, not on others.</summary>
        public static float[] Download(CUdeviceptr p, int count)
        {
            var host = new float[count];
            fixed (float* h = host) Cuda.Check(Cuda.cuMemcpyDtoH_v2(h, p, (nuint)count * sizeof(float)));
            return host;
        }

        public void Dispose()
        {
            foreach (var p in owned) Cuda.Check(Cuda.cuMemFree_v2(p));
        }
    }

    private static cudnnTensorDescriptor_t Tensor4d(int n, int c, int h, int w)
    {
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var desc));
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(desc, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, cudnnDataType_t.CUDNN_DATA_FLOAT, n, c, h, w));
        return desc;
    }

    /// <summary>The first algorithm cuDNN ranks as working; asserts its fields are sane (a wrong layout shows here).</summary>
    private static TAlgo First<TPerf, TAlgo>(Span<TPerf> results, Func<TPerf, cudnnStatus_t> status, Func<TPerf, TAlgo> algo, Func<TPerf, nuint> memory)
        where TAlgo : struct, Enum
    {
        Assert.True(results.Length > 0, $"cuDNN returned no {typeof(TAlgo).Name}");
        foreach (var result in results)
        {
            if (status(result) != cudnnStatus_t.CUDNN_STATUS_SUCCESS) continue;
            Assert.True(Enum.IsDefined(algo(result)), $"{typeof(TAlgo).Name} {algo(result)} is not a header value");
            Assert.True(memory(result) < (1u << 30), $"{algo(result)} asks for {memory(result)} bytes of workspace");
            return algo(result);
        }
        Assert.Fail($"cuDNN ranked no {typeof(TAlgo).Name} as working: {status(results[0])}");
        return default;
    }

    private static float[] RandomFloats(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static double[] NaiveMatmul(float[] a, float[] b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        for (var l = 0; l < k; l++)
            c[i * n + j] += (double)a[i * k + l] * b[l * n + j];
        return c;
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (var i = 0; i < rows; i++)
        for (var j = 0; j < cols; j++)
            t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /// <summary>|expected - actual| &lt;= tolerance * max(1, |expected|) everywhere; the failure names the worst element.</summary>
    private static void AssertClose(double[] expected, float[] actual, double tolerance, string what, [CallerLineNumber] int line = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var excess = Math.Abs(expected[i] - actual[i]) - tolerance * Math.Max(1, Math.Abs(expected[i]));
            if (excess > worstExcess || double.IsNaN(actual[i])) (worst, worstExcess) = (i, double.IsNaN(actual[i]) ? double.PositiveInfinity : excess);
        }
        Assert.True(worst < 0, worst < 0 ? "" : $"{what} (line {line}): element {worst} is {actual[worst]}, expected {expected[worst]} (tolerance {tolerance})");
    }
}
