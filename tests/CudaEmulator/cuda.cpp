// Emulated CUDA driver (built as libcuda.so.1): one device, "RawGan host emulation", whose memory
// is host memory and whose streams run their work at once on the calling thread, except while a
// stream is captured into a graph (then the work is recorded and runs at each cuGraphLaunch).
// Kernels come from the emulated NVRTC's images (image.h) and run on the CPU (kernel_prelude.h).
//
// It checks what a real driver checks and a CPU backend never would: a current context on the
// calling thread, copies and memsets inside live allocations, launch geometry, events that time
// only when created to, graph capture that was begun. New allocations are filled with 0xFF bytes
// (NaN as float32), so a kernel that reads memory nobody wrote shows it.
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "image.h"
#include "submit.h"

extern "C" {

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
struct Context;
struct Stream;
struct Event;
struct Module;
struct Function;
struct Graph;
struct GraphExec;
typedef Context* CUcontext;
typedef Stream* CUstream;
typedef Event* CUevent;
typedef Module* CUmodule;
typedef Function* CUfunction;
typedef Graph* CUgraph;
typedef GraphExec* CUgraphExec;

}  // extern "C"

namespace {

constexpr CUresult
    SUCCESS = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, INVALID_DEVICE = 101,
    INVALID_IMAGE = 200, INVALID_CONTEXT = 201, INVALID_HANDLE = 400, ILLEGAL_STATE = 401, NOT_FOUND = 500,
    LAUNCH_FAILED = 719, NOT_PERMITTED = 800, CAPTURE_UNSUPPORTED = 900, CAPTURE_INVALIDATED = 901;

const std::map<CUresult, std::pair<const char*, const char*>> Errors = {
    {SUCCESS, {"CUDA_SUCCESS", "no error"}},
    {INVALID_VALUE, {"CUDA_ERROR_INVALID_VALUE", "invalid argument"}},
    {OUT_OF_MEMORY, {"CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}},
    {NOT_INITIALIZED, {"CUDA_ERROR_NOT_INITIALIZED", "initialization error"}},
    {INVALID_DEVICE, {"CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}},
    {INVALID_IMAGE, {"CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"}},
    {INVALID_CONTEXT, {"CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}},
    {INVALID_HANDLE, {"CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}},
    {ILLEGAL_STATE, {"CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"}},
    {NOT_FOUND, {"CUDA_ERROR_NOT_FOUND", "named symbol not found"}},
    {LAUNCH_FAILED, {"CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"}},
    {NOT_PERMITTED, {"CUDA_ERROR_NOT_PERMITTED", "operation not permitted"}},
    {CAPTURE_UNSUPPORTED, {"CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"}},
    {CAPTURE_INVALIDATED, {"CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"}},
};

using Work = std::function<CUresult()>;

// One lock for the whole driver: streams run their work on the calling thread, and kernel
// modules keep their shared memory and scheduler in statics (kernel_prelude.h).
std::recursive_mutex gate;
bool initialized = false;
int primary_references = 0;
thread_local CUcontext current = nullptr;
std::map<CUdeviceptr, size_t> device_blocks;  // base -> bytes
std::map<uintptr_t, size_t> pinned_blocks;
size_t device_used = 0;

size_t environment_number(const char* name, size_t fallback)
{
    const char* text = std::getenv(name);
    return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

const size_t DeviceBytes = environment_number("RAWGAN_EMU_DEVICE_BYTES", 8ull << 30);
const int Multiprocessors = static_cast<int>(environment_number("RAWGAN_EMU_SMS", 2));

}  // namespace

struct Context {};
Context primary;
struct Stream {
    Graph* capture = nullptr;
    bool invalidated = false;
};
struct Event {
    bool timing;
    bool recorded = false;
    std::chrono::steady_clock::time_point when;
};
struct Function {
    std::string name;
    int (*launch)(const unsigned*, void**);
    std::vector<unsigned long> sizes;
};
struct Module {
    void* library;
    int file;
    std::vector<std::unique_ptr<Function>> functions;
};
struct Graph {
    std::vector<Work> nodes;
};
struct GraphExec {
    std::shared_ptr<const std::vector<Work>> nodes;
};

namespace {

bool has_context() { return current == &primary && primary_references > 0; }

// Runs work now, or records it into the graph the stream is capturing.
CUresult enqueue(CUstream stream, Work work)
{
    if (stream && stream->capture) {
        stream->capture->nodes.push_back(std::move(work));
        return SUCCESS;
    }
    return work();
}

// True when [pointer, pointer + bytes) lies inside one live device allocation.
bool device_range(CUdeviceptr pointer, size_t bytes)
{
    auto block = device_blocks.upper_bound(pointer);
    if (block == device_blocks.begin()) return false;
    --block;
    return pointer + bytes <= block->first + block->second;
}

bool pinned(const void* pointer, size_t bytes)
{
    auto address = reinterpret_cast<uintptr_t>(pointer);
    auto block = pinned_blocks.upper_bound(address);
    if (block == pinned_blocks.begin()) return false;
    --block;
    return address + bytes <= block->first + block->second;
}

// A copy into or out of pageable memory cannot be captured: the graph would read it at replay.
CUresult host_copy_check(CUstream stream, const void* host, size_t bytes)
{
    if (stream && stream->capture && !pinned(host, bytes)) {
        stream->invalidated = true;
        std::fprintf(stderr, "emulated CUDA: an async copy with pageable host memory during stream capture\n");
        return CAPTURE_UNSUPPORTED;
    }
    return SUCCESS;
}

}  // namespace

#define LOCKED std::lock_guard<std::recursive_mutex> hold(gate)
#define NEED_CONTEXT \
    LOCKED;          \
    if (!has_context()) return INVALID_CONTEXT

namespace {
template <class Handle>
CUresult destroy(Handle* handle)
{
    NEED_CONTEXT;
    if (!handle) return INVALID_HANDLE;
    delete handle;
    return SUCCESS;
}
}  // namespace

extern "C" {

// ---- initialization, version, errors ----

CUresult cuInit(unsigned flags)
{
    LOCKED;
    if (flags != 0) return INVALID_VALUE;
    initialized = true;
    return SUCCESS;
}

CUresult cuDriverGetVersion(int* version)
{
    if (!version) return INVALID_VALUE;
    *version = 13000;
    return SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char** text)
{
    auto e = Errors.find(error);
    if (!text || e == Errors.end()) return INVALID_VALUE;
    *text = e->second.first;
    return SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** text)
{
    auto e = Errors.find(error);
    if (!text || e == Errors.end()) return INVALID_VALUE;
    *text = e->second.second;
    return SUCCESS;
}

// ---- the one device ----

CUresult cuDeviceGetCount(int* count)
{
    if (!initialized) return NOT_INITIALIZED;
    if (!count) return INVALID_VALUE;
    *count = 1;
    return SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal)
{
    if (!initialized) return NOT_INITIALIZED;
    if (!device) return INVALID_VALUE;
    if (ordinal != 0) return INVALID_DEVICE;
    *device = 0;
    return SUCCESS;
}

CUresult cuDeviceGetName(char* name, int length, CUdevice device)
{
    if (!initialized) return NOT_INITIALIZED;
    if (device != 0) return INVALID_DEVICE;
    if (!name || length <= 0) return INVALID_VALUE;
    std::snprintf(name, static_cast<size_t>(length), "RawGan host emulation (CPU, not a GPU)");
    return SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device)
{
    if (!initialized) return NOT_INITIALIZED;
    if (device != 0) return INVALID_DEVICE;
    if (!value) return INVALID_VALUE;
    static const std::map<int, int> Attributes = {
        {1, 1024}, {2, 1024}, {3, 1024}, {4, 64}, {5, 2147483647}, {6, 65535}, {7, 65535},  // block and grid limits
        {8, 49152}, {10, 32}, {12, 65536},                                                  // shared memory, warp, registers
        {75, 9}, {76, 0},                                                                   // compute capability 9.0
    };
    if (attribute == 16) {
        *value = Multiprocessors;
        return SUCCESS;
    }
    auto a = Attributes.find(attribute);
    if (a == Attributes.end()) {
        std::fprintf(stderr, "emulated CUDA: cuDeviceGetAttribute(%d) is not emulated\n", attribute);
        return INVALID_VALUE;
    }
    *value = a->second;
    return SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device)
{
    if (!initialized) return NOT_INITIALIZED;
    if (device != 0) return INVALID_DEVICE;
    if (!bytes) return INVALID_VALUE;
    *bytes = DeviceBytes;
    return SUCCESS;
}

// ---- the primary context ----

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device)
{
    LOCKED;
    if (!initialized) return NOT_INITIALIZED;
    if (device != 0) return INVALID_DEVICE;
    if (!context) return INVALID_VALUE;
    ++primary_references;
    *context = &primary;
    return SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device)
{
    LOCKED;
    if (device != 0) return INVALID_DEVICE;
    if (primary_references == 0) return INVALID_CONTEXT;
    --primary_references;
    return SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext context)
{
    LOCKED;
    if (context && context != &primary) return INVALID_CONTEXT;
    current = context;
    return SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* context)
{
    if (!context) return INVALID_VALUE;
    *context = current;
    return SUCCESS;
}

CUresult cuCtxSynchronize()
{
    NEED_CONTEXT;
    return SUCCESS;
}

// ---- memory ----

CUresult cuMemGetInfo_v2(size_t* free, size_t* total)
{
    NEED_CONTEXT;
    if (!free || !total) return INVALID_VALUE;
    *free = DeviceBytes - device_used;
    *total = DeviceBytes;
    return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* pointer, size_t bytes)
{
    NEED_CONTEXT;
    if (!pointer || bytes == 0) return INVALID_VALUE;
    if (bytes > DeviceBytes - device_used) return OUT_OF_MEMORY;
    void* block = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!block) return OUT_OF_MEMORY;
    std::memset(block, 0xFF, bytes);
    *pointer = reinterpret_cast<CUdeviceptr>(block);
    device_blocks[*pointer] = bytes;
    device_used += bytes;
    return SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr pointer)
{
    NEED_CONTEXT;
    if (pointer == 0) return SUCCESS;
    auto block = device_blocks.find(pointer);
    if (block == device_blocks.end()) return INVALID_VALUE;
    device_used -= block->second;
    device_blocks.erase(block);
    std::free(reinterpret_cast<void*>(pointer));
    return SUCCESS;
}

CUresult cuMemAllocHost_v2(void** pointer, size_t bytes)
{
    NEED_CONTEXT;
    if (!pointer || bytes == 0) return INVALID_VALUE;
    *pointer = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (!*pointer) return OUT_OF_MEMORY;
    pinned_blocks[reinterpret_cast<uintptr_t>(*pointer)] = bytes;
    return SUCCESS;
}

CUresult cuMemFreeHost(void* pointer)
{
    NEED_CONTEXT;
    auto block = pinned_blocks.find(reinterpret_cast<uintptr_t>(pointer));
    if (block == pinned_blocks.end()) return INVALID_VALUE;
    pinned_blocks.erase(block);
    std::free(pointer);
    return SUCCESS;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr device, const void* host, size_t bytes, CUstream stream)
{
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (!host || !device_range(device, bytes)) return INVALID_VALUE;
    if (CUresult status = host_copy_check(stream, host, bytes)) return status;
    return enqueue(stream, [=] { std::memcpy(reinterpret_cast<void*>(device), host, bytes); return SUCCESS; });
}

CUresult cuMemcpyDtoHAsync_v2(void* host, CUdeviceptr device, size_t bytes, CUstream stream)
{
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (!host || !device_range(device, bytes)) return INVALID_VALUE;
    if (CUresult status = host_copy_check(stream, host, bytes)) return status;
    return enqueue(stream, [=] { std::memcpy(host, reinterpret_cast<const void*>(device), bytes); return SUCCESS; });
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream)
{
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (!device_range(destination, bytes) || !device_range(source, bytes)) return INVALID_VALUE;
    return enqueue(stream, [=] {
        std::memmove(reinterpret_cast<void*>(destination), reinterpret_cast<const void*>(source), bytes);
        return SUCCESS;
    });
}

// The synchronous copies run on the legacy default stream: never captured, finished on return.
CUresult cuMemcpyHtoD_v2(CUdeviceptr device, const void* host, size_t bytes)
{
    return cuMemcpyHtoDAsync_v2(device, host, bytes, nullptr);
}

CUresult cuMemcpyDtoH_v2(void* host, CUdeviceptr device, size_t bytes)
{
    return cuMemcpyDtoHAsync_v2(host, device, bytes, nullptr);
}

CUresult cuMemsetD32Async(CUdeviceptr device, unsigned value, size_t words, CUstream stream)
{
    NEED_CONTEXT;
    if (words == 0) return SUCCESS;
    if (device % 4 != 0 || !device_range(device, words * 4)) return INVALID_VALUE;
    return enqueue(stream, [=] {
        auto* p = reinterpret_cast<unsigned*>(device);
        for (size_t i = 0; i < words; ++i) p[i] = value;
        return SUCCESS;
    });
}

CUresult cuMemsetD8Async(CUdeviceptr device, unsigned char value, size_t bytes, CUstream stream)
{
    NEED_CONTEXT;
    if (bytes == 0) return SUCCESS;
    if (!device_range(device, bytes)) return INVALID_VALUE;
    return enqueue(stream, [=] { std::memset(reinterpret_cast<void*>(device), value, bytes); return SUCCESS; });
}

// ---- streams and events ----

CUresult cuStreamCreate(CUstream* stream, unsigned flags)
{
    NEED_CONTEXT;
    if (!stream || flags > 1) return INVALID_VALUE;
    *stream = new Stream;
    return SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream stream)
{
    NEED_CONTEXT;
    if (!stream) return INVALID_HANDLE;
    delete stream->capture;
    delete stream;
    return SUCCESS;
}

// Waiting for a stream that is being captured is what capture forbids (and it ends the capture).
CUresult cuStreamSynchronize(CUstream stream)
{
    NEED_CONTEXT;
    if (stream && stream->capture) {
        stream->invalidated = true;
        return CAPTURE_UNSUPPORTED;
    }
    return SUCCESS;
}

CUresult cuStreamWaitEvent(CUstream, CUevent event, unsigned flags)
{
    NEED_CONTEXT;
    if (!event) return INVALID_HANDLE;
    return flags == 0 ? SUCCESS : INVALID_VALUE;
}

CUresult cuEventCreate(CUevent* event, unsigned flags)
{
    NEED_CONTEXT;
    if (!event || (flags & ~7u)) return INVALID_VALUE;
    *event = new Event{(flags & 2u) == 0, false, {}};
    return SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent event) { return destroy(event); }

CUresult cuEventRecord(CUevent event, CUstream stream)
{
    NEED_CONTEXT;
    if (!event) return INVALID_HANDLE;
    return enqueue(stream, [=] {
        event->recorded = true;
        event->when = std::chrono::steady_clock::now();
        return SUCCESS;
    });
}

CUresult cuEventSynchronize(CUevent event)
{
    NEED_CONTEXT;
    return event ? SUCCESS : INVALID_HANDLE;
}

CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end)
{
    NEED_CONTEXT;
    if (!milliseconds) return INVALID_VALUE;
    if (!start || !end || !start->timing || !end->timing || !start->recorded || !end->recorded) return INVALID_HANDLE;
    *milliseconds = std::chrono::duration<float, std::milli>(end->when - start->when).count();
    return SUCCESS;
}

// ---- modules and launches ----

CUresult cuModuleLoadData(CUmodule* module, const void* image)
{
    NEED_CONTEXT;
    if (!module || !image) return INVALID_VALUE;
    const char* library;
    uint64_t length;
    if (!emu_image::unwrap(image, &library, &length)) {
        std::fprintf(stderr, "emulated CUDA: cuModuleLoadData was given an image the emulated NVRTC did not make\n");
        return INVALID_IMAGE;
    }
    // dlopen needs a file: an anonymous one, named by its descriptor. The descriptor stays open
    // with the module: dlopen takes a path it has seen before for the library already loaded.
    int fd = memfd_create("rawgan-emulated-kernels", MFD_CLOEXEC);
    if (fd < 0 || write(fd, library, length) != static_cast<ssize_t>(length)) {
        if (fd >= 0) close(fd);
        return INVALID_IMAGE;
    }
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        close(fd);
        std::fprintf(stderr, "emulated CUDA: dlopen of a kernel module failed: %s\n", dlerror());
        return INVALID_IMAGE;
    }
    *module = new Module{handle, fd, {}};
    return SUCCESS;
}

CUresult cuModuleUnload(CUmodule module)
{
    NEED_CONTEXT;
    if (!module) return INVALID_HANDLE;
    dlclose(module->library);
    close(module->file);
    delete module;
    return SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* function, CUmodule module, const char* name)
{
    NEED_CONTEXT;
    if (!function || !name) return INVALID_VALUE;
    if (!module) return INVALID_HANDLE;
    auto launch = reinterpret_cast<int (*)(const unsigned*, void**)>(dlsym(module->library, ("rawgan_emu_launch_" + std::string(name)).c_str()));
    auto sizes = reinterpret_cast<int (*)(unsigned long*)>(dlsym(module->library, ("rawgan_emu_params_" + std::string(name)).c_str()));
    if (!launch || !sizes) return NOT_FOUND;
    auto f = std::make_unique<Function>(Function{name, launch, std::vector<unsigned long>(sizes(nullptr), 0)});
    sizes(f->sizes.data());
    *function = f.get();
    module->functions.push_back(std::move(f));  // a function lives as long as its module
    return SUCCESS;
}

CUresult cuFuncGetAttribute(int* value, int attribute, CUfunction function)
{
    NEED_CONTEXT;
    if (!function) return INVALID_HANDLE;
    if (!value) return INVALID_VALUE;
    *value = attribute == 0 ? 1024 : 0;  // max threads per block; no static shared memory, registers, ...
    return SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction function, int, int)
{
    NEED_CONTEXT;
    return function ? SUCCESS : INVALID_HANDLE;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, CUstream stream, void** params, void** extra)
{
    NEED_CONTEXT;
    if (!f) return INVALID_HANDLE;
    // The device's limits (cuDeviceGetAttribute above); no kernel of ours uses dynamic shared memory.
    bool geometry = gx >= 1 && gy >= 1 && gz >= 1 && bx >= 1 && by >= 1 && bz >= 1 && gy <= 65535 && gz <= 65535 &&
                    gx <= 2147483647u && bz <= 64 && static_cast<unsigned long>(bx) * by * bz <= 1024 && sharedBytes == 0;
    if (!geometry || extra || (!params && !f->sizes.empty())) {
        std::fprintf(stderr, "emulated CUDA: cuLaunchKernel of %s: grid (%u, %u, %u), block (%u, %u, %u), %u shared bytes%s\n",
                     f->name.c_str(), gx, gy, gz, bx, by, bz, sharedBytes, extra ? ", extra" : "");
        return INVALID_VALUE;
    }
    // The arguments are copied now, as the driver does: a graph replays the values it captured.
    std::vector<size_t> offsets;
    size_t bytes = 0;
    for (auto size : f->sizes) {
        offsets.push_back(bytes);
        bytes += (size + 15) / 16 * 16;
    }
    auto values = std::make_shared<std::vector<unsigned char>>(bytes + 16);
    for (size_t i = 0; i < f->sizes.size(); ++i) std::memcpy(values->data() + offsets[i], params[i], f->sizes[i]);
    std::array<unsigned, 6> dims{gx, gy, gz, bx, by, bz};
    return enqueue(stream, [=] {
        std::vector<void*> pointers;
        for (size_t offset : offsets) pointers.push_back(values->data() + offset);
        return f->launch(dims.data(), pointers.data()) == 0 ? SUCCESS : LAUNCH_FAILED;
    });
}

// ---- graphs (stream capture) ----

CUresult cuStreamBeginCapture_v2(CUstream stream, int mode)
{
    NEED_CONTEXT;
    if (!stream) return NOT_PERMITTED;  // the legacy default stream cannot be captured
    if (mode < 0 || mode > 2) return INVALID_VALUE;
    if (stream->capture) return ILLEGAL_STATE;
    stream->capture = new Graph;
    stream->invalidated = false;
    return SUCCESS;
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph* graph)
{
    NEED_CONTEXT;
    if (!stream || !graph) return INVALID_VALUE;
    if (!stream->capture) return ILLEGAL_STATE;
    Graph* captured = stream->capture;
    stream->capture = nullptr;
    if (stream->invalidated) {
        delete captured;
        *graph = nullptr;
        return CAPTURE_INVALIDATED;
    }
    *graph = captured;
    return SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph, unsigned long long flags)
{
    NEED_CONTEXT;
    if (!exec || flags > 15) return INVALID_VALUE;
    if (!graph) return INVALID_HANDLE;
    *exec = new GraphExec{std::make_shared<const std::vector<Work>>(graph->nodes)};
    return SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream)
{
    NEED_CONTEXT;
    if (!exec) return INVALID_HANDLE;
    auto nodes = exec->nodes;
    return enqueue(stream, [nodes] {
        for (const Work& node : *nodes)
            if (CUresult status = node()) return status;
        return SUCCESS;
    });
}

CUresult cuGraphExecDestroy(CUgraphExec exec) { return destroy(exec); }

CUresult cuGraphDestroy(CUgraph graph) { return destroy(graph); }

// ---- work from the emulated cuBLAS and cuDNN (submit.h) ----

__attribute__((visibility("default"))) int rawgan_emu_submit(void* stream, rawgan_emu_work run, void* context, rawgan_emu_work release)
{
    // Whatever happens, the context is released exactly once: with the last copy of this holder.
    auto holder = std::shared_ptr<void>(context, release);
    NEED_CONTEXT;
    return enqueue(static_cast<CUstream>(stream), [run, holder] {
        run(holder.get());
        return SUCCESS;
    });
}

}  // extern "C"
