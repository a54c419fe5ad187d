"""CUDA text shared by every source: launch geometry and block reductions.

Prepended to each family's source by :mod:`brickwork_cupy.cuda` (so each
registered source is self-contained and compiles on its own).
"""

#: Threads per block of every launch; row kernels rely on it being a power of two.
BLOCK = 256

COMMON = r"""
#define BW_BLOCK 256
typedef long long i64;

// Grid-stride loop over n elements.
#define BW_FOR(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (i64)blockDim.x * gridDim.x)

// Sum of v over the block (blockDim.x == BW_BLOCK); every thread gets it.
template <typename T>
__device__ T bw_block_sum(T v) {
    __shared__ T buf[BW_BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = BW_BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    T r = buf[0];
    __syncthreads();
    return r;
}

// Maximum of v over the block (blockDim.x == BW_BLOCK); every thread gets it.
template <typename T>
__device__ T bw_block_max(T v) {
    __shared__ T buf[BW_BLOCK];
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = BW_BLOCK / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            T other = buf[threadIdx.x + s];
            if (other > buf[threadIdx.x]) buf[threadIdx.x] = other;
        }
        __syncthreads();
    }
    T r = buf[0];
    __syncthreads();
    return r;
}

// sigmoid and softplus without overflow: exp of a non-positive number only.
template <typename T>
__device__ T bw_sigmoid(T x) {
    T e = exp(-fabs(x));
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

template <typename T>
__device__ T bw_softplus(T x) {
    return (x > T(0) ? x : T(0)) + log1p(exp(-fabs(x)));
}
"""
