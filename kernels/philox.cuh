// Philox 4x32-10, the stream of Random/Philox.cs bit for bit: element i of a draw at (seed,
// offset) is word i % 4 of philox(counter = (lo32(offset + i/4), hi32(offset + i/4), 0, 0),
// key = (lo32(seed), hi32(seed))).
#pragma once

struct PhiloxBlock {
    unsigned int w0, w1, w2, w3;
};

__device__ __forceinline__ PhiloxBlock philox4x32_10(unsigned int c0, unsigned int c1, unsigned int c2,
                                                    unsigned int c3, unsigned int k0, unsigned int k1) {
    const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) { k0 += W0; k1 += W1; }
        unsigned long long p0 = (unsigned long long)M0 * c0;
        unsigned long long p1 = (unsigned long long)M1 * c2;
        unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0;
        unsigned int n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c1 = (unsigned int)p1;
        c3 = (unsigned int)p0;
        c0 = n0;
        c2 = n2;
    }
    PhiloxBlock r = {c0, c1, c2, c3};
    return r;
}

// The block for elements 4b..4b+3 of a draw at (seed, offset); the counter wraps as a ulong.
__device__ __forceinline__ PhiloxBlock philox_stream_block(unsigned long long seed, unsigned long long offset,
                                                          unsigned long long block) {
    unsigned long long counter = offset + block;
    return philox4x32_10((unsigned int)counter, (unsigned int)(counter >> 32), 0u, 0u,
                         (unsigned int)seed, (unsigned int)(seed >> 32));
}

// The top 24 bits, centred: exact in float, strictly inside (0, 1).
__device__ __forceinline__ float philox_uniform(unsigned int word) {
    return ((float)(word >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

// Box-Muller in single precision, as Philox.BoxMuller: (r cos theta, r sin theta).
__device__ __forceinline__ void philox_box_muller(unsigned int a, unsigned int b, float& n0, float& n1) {
    float r = sqrtf(-2.0f * logf(philox_uniform(a)));
    float theta = 2.0f * 3.14159265358979f * philox_uniform(b);
    n0 = r * cosf(theta);
    n1 = r * sinf(theta);
}
