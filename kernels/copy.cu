// dst[i] = src[i] for two views of one shape with any strides (gathers, scatters, broadcasts).
// Contiguous-to-contiguous copies do not come here: the host uses cuMemcpyDtoDAsync.
#include "common.cuh"

extern "C" __global__ void copy_strided_f32(float* dst, const float* src, StridedIndex3 index, int n) {
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        long long od, os, unused;
        strided_offsets(index, (unsigned int)i, od, os, unused);
        dst[od] = src[os];
    }
}
