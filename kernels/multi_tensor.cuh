// One launch over many tensors (PyTorch's multi_tensor_apply): the optimizers update every
// parameter of a step in one kernel instead of one launch per tensor, which for DCGAN's ~24
// parameters (many of them BatchNorm vectors of 64-512 elements) is mostly launch overhead.
//
// The table goes in by value, as a kernel parameter: a host-to-device upload could not be recorded
// in a captured CUDA graph, a parameter can. Kernel parameters are limited to 4 KB, hence at most
// RG_TENSOR_LIST_MAX tensors per launch; the host splits longer lists into several launches.
// Mirrored by Backends/Cuda/Kernels/TensorList.cs.
#pragma once

#define RG_TENSOR_LIST_MAX 100
#define RG_TENSOR_LIST_ARRAYS 4
// Elements per block: 256 threads, 4 float4 each.
#define RG_TENSOR_CHUNK 4096

struct TensorList {
    int count;                               // tensors in this launch, each with at least one element
    int block_start[RG_TENSOR_LIST_MAX];     // tensor t owns blocks block_start[t] .. block_start[t + 1] - 1
    int n[RG_TENSOR_LIST_MAX];               // elements of tensor t
    float* ptr[RG_TENSOR_LIST_ARRAYS][RG_TENSOR_LIST_MAX];  // param, grad, then the optimizer's state (or null)
};
// 4008 bytes: the kernels' other parameters (a pointer and at most six floats) fit in the rest.
static_assert(sizeof(TensorList) + 64 <= 4096, "a launch's parameters must fit in CUDA's 4 KB");

// This block's share of the list: RG_TENSOR_CHUNK elements of one tensor (fewer at its end), with
// each of the tensor's arrays offset to the chunk (null arrays stay null).
struct TensorChunk {
    float* ptr[RG_TENSOR_LIST_ARRAYS];
    int n;
};

__device__ __forceinline__ TensorChunk tensor_chunk(const TensorList& list) {
    int block = blockIdx.x, lo = 0, hi = list.count - 1;
    while (lo < hi) {  // the last tensor whose first block is at or before this one
        int mid = (lo + hi + 1) >> 1;
        if (list.block_start[mid] <= block) lo = mid;
        else hi = mid - 1;
    }
    int start = (block - list.block_start[lo]) * RG_TENSOR_CHUNK;  // below n[lo] < 2^31
    TensorChunk c;
    c.n = list.n[lo] - start < RG_TENSOR_CHUNK ? list.n[lo] - start : RG_TENSOR_CHUNK;
#pragma unroll
    for (int a = 0; a < RG_TENSOR_LIST_ARRAYS; ++a) c.ptr[a] = list.ptr[a][lo] == nullptr ? nullptr : list.ptr[a][lo] + start;
    return c;
}
