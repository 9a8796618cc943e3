// The one thing the emulated libraries share: work queued on a stream.
//
// The emulated driver (cuda.cpp, built as libcuda.so.1) runs every stream's work at once, on the
// calling thread, except while the stream is being captured into a CUDA graph: then the work is
// recorded, and runs each time the graph is launched. cuBLAS and cuDNN (cublas.cpp, cudnn.cpp)
// hand their computations to the driver through rawgan_emu_submit, so that a captured training
// step replays its convolutions and matrix products as well as its kernels.
//
// A closure passed to emu_submit must hold everything it needs by value (pointers, scalars, copies
// of descriptor contents): a real graph bakes a call's arguments in when it is captured.
#pragma once
#include <utility>

extern "C" {
typedef void (*rawgan_emu_work)(void* context);
// Runs run(context) now, or records it when `stream` is capturing. release(context) is called once
// the work can never run again (after running it, or when its graph is destroyed).
// Returns a CUresult: 0, or an error of the capture (e.g. 901, CUDA_ERROR_STREAM_CAPTURE_INVALIDATED).
int rawgan_emu_submit(void* stream, rawgan_emu_work run, void* context, rawgan_emu_work release);
}

namespace emu {
template <class F>
int submit(void* stream, F work)
{
    auto* box = new F(std::move(work));
    return rawgan_emu_submit(
        stream, [](void* c) { (*static_cast<F*>(c))(); }, box, [](void* c) { delete static_cast<F*>(c); });
}
}  // namespace emu
