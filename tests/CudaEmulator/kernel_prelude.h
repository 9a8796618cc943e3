// Compiled in front of every kernels/*.cu by the emulated NVRTC (nvrtc.cpp): the CUDA built-ins
// our kernels use, defined for the host, and the scheduler that runs a launch on the CPU.
//
// A launch runs its blocks one after another. Each thread of a block is a fiber with its own stack;
// a fiber runs until it finishes or waits at a barrier (__syncthreads, or the warp exchange inside
// a shuffle), and a barrier opens once every live thread of its block (or warp) waits there. So
// block reductions, shared memory and shuffles behave as on a GPU, and a kernel whose threads
// would wait at different barriers is reported instead of hanging.
//
// The driver (cuda.cpp) finds two functions per kernel NAME in the module, made by RAWGAN_EMU_KERNEL:
//   int rawgan_emu_launch_NAME(const unsigned dims[6], void** params)  runs the grid (0, or -1 on a fault)
//   int rawgan_emu_params_NAME(unsigned long* sizes)                   the parameters' sizes, and their count
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <math.h>
#include <sys/mman.h>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __forceinline__ inline
// Blocks run one at a time (the driver holds a lock around every launch), so one static copy is
// exactly "one copy shared by the threads of the running block".
#define __shared__ static

struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(8) uint2 { unsigned int x, y; };
struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

inline thread_local uint3 threadIdx, blockIdx;
inline thread_local dim3 blockDim, gridDim;

// ---- device math and bit casts ----
// Only what kernels/ uses. expf, logf, fmaxf, ... are the C library's (math.h), as NVRTC's
// device library mirrors them.
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
template <class To, class From> inline To emu_bits(From v) { static_assert(sizeof(To) == sizeof(From)); To t; std::memcpy(&t, &v, sizeof t); return t; }
inline unsigned int __float_as_uint(float x) { return emu_bits<unsigned int>(x); }
inline float __uint_as_float(unsigned int x) { return emu_bits<float>(x); }
inline float __int_as_float(int x) { return emu_bits<float>(x); }
inline double __longlong_as_double(long long x) { return emu_bits<double>(x); }

namespace emu {

// ---- fibers: a stack each, switched by saving the callee-saved registers (System V x86-64) ----
// ucontext would do, but it makes a system call per switch, and a launch switches thousands of times.
extern "C" void rawgan_emu_switch(void** save_sp, void* load_sp) __attribute__((visibility("hidden")));
asm(R"(
    .text
    .p2align 4
    .type rawgan_emu_switch,@function
rawgan_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size rawgan_emu_switch, .-rawgan_emu_switch
)");

enum class Wait { None, Block, Warp, Done };
struct Fiber { void* sp; Wait wait; };

constexpr unsigned MaxThreads = 1024, StackBytes = 64 * 1024;

struct Scheduler {
    Fiber fibers[MaxThreads];
    unsigned count = 0, current = 0;
    void* home = nullptr;              // the scheduler's own stack pointer while a fiber runs
    char* stacks = nullptr;
    void (*body)(void*) = nullptr;     // the kernel call of this launch
    void* args = nullptr;
    // Shuffle exchange: each lane's value, and the round it was written in (a lane that has exited
    // writes nothing, and reading it is a fault: the GPU's full-mask shuffle would be undefined).
    uint64_t slots[MaxThreads];
    uint64_t written[MaxThreads];
    uint64_t round[MaxThreads / 32];
    const char* fault = nullptr;
};
inline thread_local Scheduler scheduler;

inline void yield(Wait why)
{
    Scheduler& s = scheduler;
    s.fibers[s.current].wait = why;
    rawgan_emu_switch(&s.fibers[s.current].sp, s.home);
}

[[noreturn]] inline void fiber_entry()
{
    Scheduler& s = scheduler;
    s.body(s.args);
    yield(Wait::Done);
    __builtin_trap();  // a finished fiber is never resumed
}

// A fresh fiber's stack holds what rawgan_emu_switch pops: MXCSR and x87 control word, six
// registers, and fiber_entry as the return address, placed so that fiber_entry starts with the
// stack alignment of an ordinary call.
inline void* fresh_stack(char* top)
{
    auto* sp = reinterpret_cast<uint64_t*>(top - 16);
    sp[0] = reinterpret_cast<uint64_t>(&fiber_entry);
    for (int r = 1; r <= 6; ++r) sp[-r] = 0;
    sp -= 7;
    uint32_t control[2] = {0x1F80, 0x037F};  // default MXCSR and x87 control word
    std::memcpy(sp, control, 8);
    return sp;
}

inline bool barrier_open(unsigned first, unsigned end, Wait kind)
{
    Scheduler& s = scheduler;
    bool any = false;
    for (unsigned t = first; t < end; ++t) {
        if (s.fibers[t].wait == Wait::Done) continue;
        if (s.fibers[t].wait != kind) return false;
        any = true;
    }
    return any;
}

inline void release(unsigned first, unsigned end)
{
    for (unsigned t = first; t < end; ++t)
        if (scheduler.fibers[t].wait != Wait::Done) scheduler.fibers[t].wait = Wait::None;
}

// Runs every thread of one block to the end; false (with scheduler.fault set) on a fault.
inline bool run_block()
{
    Scheduler& s = scheduler;
    for (unsigned t = 0; t < s.count; ++t) s.fibers[t] = {fresh_stack(s.stacks + (t + 1) * (size_t)StackBytes), Wait::None};
    for (unsigned w = 0; w < (s.count + 31) / 32; ++w) s.round[w] = 1;
    std::memset(s.written, 0, sizeof(uint64_t) * s.count);
    for (;;) {
        bool ran = false, live = false;
        for (unsigned t = 0; t < s.count && !s.fault; ++t) {
            if (s.fibers[t].wait != Wait::None) continue;
            s.current = t;
            threadIdx = {t % blockDim.x, t / blockDim.x % blockDim.y, t / (blockDim.x * blockDim.y)};
            rawgan_emu_switch(&s.home, s.fibers[t].sp);
            ran = true;
        }
        if (s.fault) return false;
        bool opened = false;
        for (unsigned w = 0; w * 32 < s.count; ++w) {
            unsigned end = std::min(s.count, (w + 1) * 32);
            if (barrier_open(w * 32, end, Wait::Warp)) { release(w * 32, end); s.round[w]++; opened = true; }
        }
        if (barrier_open(0, s.count, Wait::Block)) { release(0, s.count); opened = true; }
        for (unsigned t = 0; t < s.count; ++t) live |= s.fibers[t].wait != Wait::Done;
        if (!live) return true;
        if (!ran && !opened) {
            s.fault = "threads of a block wait at different barriers (or a warp's shuffle misses a live lane)";
            return false;
        }
    }
}

// Runs a whole grid; dims = grid x, y, z, block x, y, z. 0, or -1 after printing the fault.
inline int run_grid(const char* name, const unsigned* dims, void (*body)(void*), void* args)
{
    Scheduler& s = scheduler;
    gridDim = {dims[0], dims[1], dims[2]};
    blockDim = {dims[3], dims[4], dims[5]};
    s.count = dims[3] * dims[4] * dims[5];
    s.body = body;
    s.args = args;
    s.fault = nullptr;
    if (!s.stacks) {
        void* m = mmap(nullptr, (size_t)MaxThreads * StackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) { std::fprintf(stderr, "emulated launch of %s: no memory for fiber stacks\n", name); return -1; }
        s.stacks = static_cast<char*>(m);
    }
    for (unsigned z = 0; z < dims[2]; ++z)
        for (unsigned y = 0; y < dims[1]; ++y)
            for (unsigned x = 0; x < dims[0]; ++x) {
                blockIdx = {x, y, z};
                if (!run_block()) {
                    std::fprintf(stderr, "emulated launch of %s, block (%u, %u, %u): %s\n", name, x, y, z, s.fault);
                    return -1;
                }
            }
    return 0;
}

template <class... A, size_t... I>
int launch(const char* name, void (*kernel)(A...), const unsigned* dims, void** params, std::index_sequence<I...>)
{
    // The arguments are copied once, as the GPU copies them into its parameter space.
    using Args = std::tuple<std::decay_t<A>...>;
    Args args{*static_cast<std::decay_t<A>*>(params[I])...};
    struct Call { void (*kernel)(A...); Args* args; } call{kernel, &args};
    return run_grid(name, dims, [](void* c) { auto* k = static_cast<Call*>(c); std::apply(k->kernel, *k->args); }, &call);
}

template <class... A>
int launch(const char* name, void (*kernel)(A...), const unsigned* dims, void** params)
{
    return launch(name, kernel, dims, params, std::index_sequence_for<A...>{});
}

template <class... A>
int param_sizes(void (*)(A...), unsigned long* sizes)
{
    unsigned long all[] = {sizeof(std::decay_t<A>)..., 0};
    for (size_t i = 0; sizes && i < sizeof...(A); ++i) sizes[i] = all[i];
    return (int)sizeof...(A);
}

}  // namespace emu

// ---- the built-ins that synchronise threads ----
inline void __syncthreads() { emu::yield(emu::Wait::Block); }

template <class T>
inline T __shfl_down_sync(unsigned int mask, T value, unsigned int delta)
{
    static_assert(sizeof(T) <= 8);
    emu::Scheduler& s = emu::scheduler;
    unsigned lane = s.current % 32, warp = s.current / 32;
    if (mask != 0xffffffffu) { s.fault = "a shuffle with a partial mask (not emulated)"; emu::yield(emu::Wait::Done); }
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof(T));
    s.slots[s.current] = bits;
    s.written[s.current] = s.round[warp];
    emu::yield(emu::Wait::Warp);  // every live lane has written its value
    T result = value;             // a source lane beyond the warp: the lane's own value, as on the GPU
    unsigned source = s.current + delta;
    if (lane + delta < 32) {
        if (source >= s.count || s.written[source] != s.round[warp] - 1) {
            s.fault = "a full-mask shuffle reads a lane that has exited";
            emu::yield(emu::Wait::Done);
        }
        std::memcpy(&result, &s.slots[source], sizeof(T));
    }
    emu::yield(emu::Wait::Warp);  // every lane has read before any writes again
    return result;
}

#define RAWGAN_EMU_KERNEL(name)                                                                               \
    extern "C" __attribute__((visibility("default"))) int rawgan_emu_launch_##name(const unsigned* dims, void** params) \
    {                                                                                                         \
        return emu::launch(#name, &name, dims, params);                                                       \
    }                                                                                                         \
    extern "C" __attribute__((visibility("default"))) int rawgan_emu_params_##name(unsigned long* sizes)     \
    {                                                                                                         \
        return emu::param_sizes(&name, sizes);                                                                \
    }
