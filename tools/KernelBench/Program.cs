using System.Globalization;
using System.Text.Json;
using RawGan;
using RawGan.Backends;
using RawGan.Backends.Cpu;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Kernels;
using RawGan.KernelBench;

// KernelBench: every custom CUDA kernel at a GAN-typical size and at 16M elements (the bf16 casts
// at 16M and at a DCGAN activation only, --quick too; Adam also over DCGAN generators' parameter
// lists), validated against the CPU backend first, then timed with CUDA events (warm-up, median of
// repeats, inputs rotated through more memory than the 50 MB L2 holds). Prints GB/s and the
// percentage of the device-to-device copy bandwidth measured on a 1 GiB buffer; cuDNN convolutions
// and batch norm at DCGAN-64 sizes in ms and TFLOP/s; a training batch's upload as floats and as
// bytes widened on the GPU, in host milliseconds. Usage: KernelBench [--json path] [--quick]
var jsonPath = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
bool quick = args.Contains("--quick");

CudaBackend cuda;
try
{
    cuda = CudaBackend.Instance;
}
catch (CudaUnavailableException e)
{
    Console.Error.WriteLine($"KernelBench needs a CUDA GPU: {e.Message}");
    return 2;
}

var bench = new Bench(cuda, quick);
Console.WriteLine($"{cuda.Info.Name}, {cuda.Info.Multiprocessors} SMs, kernels {cuda.Kernels.Target}");
double copyGBs = bench.DeviceToDeviceBandwidth();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cuMemcpyDtoD on 1 GiB: {copyGBs:F0} GB/s (the 100 % below)"));
Console.WriteLine();
Console.WriteLine($"{"kernel",-34} {"elements",10} {"ms",9} {"GB/s",8} {"% copy",7}  check");

var results = new List<Dictionary<string, object>>();
bool allValid = true;
var sizes = quick ? new[] { 1 << 21 } : new[] { 1 << 21, 1 << 24 };
foreach (var c in sizes.SelectMany(Cases.Elementwise).Concat(Cases.AdamLists()).Concat(Cases.Bfloat16()))
{
    var r = bench.Run(c, copyGBs);
    allValid &= r.Valid;
    results.Add(r.Json);
    Console.WriteLine(r.Line);
}

Console.WriteLine();
Console.WriteLine($"{"cuDNN and fused ops (DCGAN-64 b128, BEGAN-64 b16)",-44} {"ms",9} {"TFLOP/s",8} {"GB/s",8}");
foreach (var c in Cases.Dcgan().Concat(Cases.Began()))
{
    var r = bench.RunCudnn(c);
    results.Add(r.Json);
    Console.WriteLine(r.Line);
}

Console.WriteLine();
Console.WriteLine($"{"uploads (host time until on the device)",-44} {"ms",9} {"host MB",8} {"GB/s",8}");
foreach (var c in Cases.Uploads())
{
    var r = bench.RunUpload(c);
    results.Add(r.Json);
    Console.WriteLine(r.Line);
}

if (jsonPath is not null)
{
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["device"] = cuda.Info.Name,
        ["kernels"] = cuda.Kernels.Target,
        ["copy_GBs"] = copyGBs,
        ["results"] = results,
    }, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"wrote {jsonPath}");
}
if (!allValid) Console.Error.WriteLine("some kernels did not match the CPU backend: see 'check' above");
return allValid ? 0 : 1;
