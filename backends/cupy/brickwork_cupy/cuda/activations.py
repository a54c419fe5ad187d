"""CUDA source of the activations, the fused dense bias + activation, and
row-wise softmax / log-softmax (forward and backward).

One forward and one backward kernel cover every elementwise name of
``KERNEL_ACTIVATIONS``, selected by an integer code (``ACTIVATION_CODES``);
softmax and log_softmax act over rows of a contiguous ``(rows, n)`` array,
one block per row.
"""

NAME = "activations"

#: Elementwise activation name -> code used by the kernels. softmax and
#: log_softmax are row operations (``softmax_rows``), not listed here.
ACTIVATION_CODES = {
    "linear": 0, "relu": 1, "relu6": 2, "hard_tanh": 3, "sigmoid": 4, "tanh": 5,
    "elu": 6, "celu": 6, "selu": 7, "softplus": 8, "log_sigmoid": 9, "softsign": 10,
    "silu": 11, "gelu": 12, "gelu_approximate": 13, "mish": 14, "exponential": 15,
    "hard_sigmoid": 16, "hard_silu": 17,
}

#: Codes whose derivative needs the forward input (the others use the output).
INPUT_DIFFERENTIATED = ("silu", "hard_silu", "gelu", "gelu_approximate", "mish")

KERNELS = ("activation_forward", "activation_backward", "bias_activation_forward",
           "softmax_rows", "softmax_rows_backward")

CODE = r"""
#define SELU_ALPHA 1.6732632423543772
#define SELU_SCALE 1.0507009873554805
#define GELU_TANH_SCALE 0.7978845608028654   // sqrt(2/pi)
#define GELU_CUBIC 0.044715
#define INV_SQRT_2 0.7071067811865476
#define INV_SQRT_2PI 0.3989422804014327

template <typename T>
__device__ T bw_clip(T x, T lo, T hi) { return x < lo ? lo : (x > hi ? hi : x); }

template <typename T>
__device__ T bw_gelu_tanh_gate(T x) {
    return tanh(T(GELU_TANH_SCALE) * (x + T(GELU_CUBIC) * x * x * x));
}

template <typename T>
__device__ T bw_activate(T x, int code) {
    switch (code) {
    case 0: return x;
    case 1: return x > T(0) ? x : T(0);
    case 2: return bw_clip(x, T(0), T(6));
    case 3: return bw_clip(x, T(-1), T(1));
    case 4: return bw_sigmoid(x);
    case 5: return tanh(x);
    case 6: return x > T(0) ? x : expm1(x);
    case 7: return T(SELU_SCALE) * (x > T(0) ? x : T(SELU_ALPHA) * expm1(x));
    case 8: return bw_softplus(x);
    case 9: return -bw_softplus(-x);
    case 10: return x / (T(1) + fabs(x));
    case 11: return x * bw_sigmoid(x);
    case 12: return x * T(0.5) * (T(1) + erf(x * T(INV_SQRT_2)));
    case 13: return T(0.5) * x * (T(1) + bw_gelu_tanh_gate(x));
    case 14: return x * tanh(bw_softplus(x));
    case 15: return exp(x);
    case 16: return bw_clip(x * T(1.0 / 6.0) + T(0.5), T(0), T(1));
    case 17: return x * bw_clip(x * T(1.0 / 6.0) + T(0.5), T(0), T(1));
    }
    return x;
}

// d activation / dx, from the input x (codes 11-14, 17) or the output y (the rest).
template <typename T>
__device__ T bw_activation_slope(T x, T y, int code) {
    switch (code) {
    case 0: return T(1);
    case 1: return y > T(0) ? T(1) : T(0);
    case 2: return (y > T(0) && y < T(6)) ? T(1) : T(0);
    case 3: return (y > T(-1) && y < T(1)) ? T(1) : T(0);
    case 4: return y * (T(1) - y);
    case 5: return T(1) - y * y;
    case 6: return y > T(0) ? T(1) : y + T(1);
    case 7: return y > T(0) ? T(SELU_SCALE) : y + T(SELU_SCALE * SELU_ALPHA);
    case 8: return -expm1(-y);
    case 9: return -expm1(y);
    case 10: { T a = T(1) - fabs(y); return a * a; }
    case 11: { T s = bw_sigmoid(x); return s * (T(1) + x * (T(1) - s)); }
    case 12: return T(0.5) * (T(1) + erf(x * T(INV_SQRT_2)))
                    + x * T(INV_SQRT_2PI) * exp(T(-0.5) * x * x);
    case 13: {
        T t = bw_gelu_tanh_gate(x);
        T inner = T(GELU_TANH_SCALE) * (T(1) + T(3 * GELU_CUBIC) * x * x);
        return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * inner;
    }
    case 14: {
        T t = tanh(bw_softplus(x));
        return t + x * (T(1) - t * t) * bw_sigmoid(x);
    }
    case 15: return y;
    case 16: return (y > T(0) && y < T(1)) ? T(1.0 / 6.0) : T(0);
    case 17: return x > T(-3) && x < T(3) ? x * T(1.0 / 3.0) + T(0.5) : (x >= T(3) ? T(1) : T(0));
    }
    return T(1);
}

template <typename T>
__global__ void activation_forward(const T* x, T* y, i64 n, int code) {
    BW_FOR(i, n) y[i] = bw_activate(x[i], code);
}

// x may be the same pointer as y for the codes differentiated from the output.
template <typename T>
__global__ void activation_backward(const T* dy, const T* x, const T* y, T* dx, i64 n, int code) {
    BW_FOR(i, n) dx[i] = dy[i] * bw_activation_slope(x[i], y[i], code);
}

// In place on y (rows, cols): y = activation(y + bias[col]); bias ignored when has_bias == 0.
template <typename T>
__global__ void bias_activation_forward(T* y, const T* bias, i64 n, i64 cols, int has_bias, int code) {
    BW_FOR(i, n) {
        T v = y[i];
        if (has_bias) v += bias[i % cols];
        y[i] = bw_activate(v, code);
    }
}

// One block per row of a contiguous (rows, n) array; y may alias x.
// log_ == 0: softmax; log_ == 1: log-softmax.
template <typename T>
__global__ void softmax_rows(const T* x, T* y, i64 n, int log_) {
    const T* xr = x + (i64)blockIdx.x * n;
    T* yr = y + (i64)blockIdx.x * n;
    T m = xr[0];
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) if (xr[j] > m) m = xr[j];
    m = bw_block_max(m);
    T s = T(0);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += exp(xr[j] - m);
    s = bw_block_sum(s);
    if (log_) {
        T lse = m + log(s);
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) yr[j] = xr[j] - lse;
    } else {
        T inv = T(1) / s;
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) yr[j] = exp(xr[j] - m) * inv;
    }
}

// Gradient of softmax_rows from its output y, one block per row.
// softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy).
template <typename T>
__global__ void softmax_rows_backward(const T* dy, const T* y, T* dx, i64 n, int log_) {
    i64 base = (i64)blockIdx.x * n;
    T s = T(0);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x)
        s += log_ ? dy[base + j] : dy[base + j] * y[base + j];
    s = bw_block_sum(s);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
        i64 k = base + j;
        dx[k] = log_ ? dy[k] - exp(y[k]) * s : y[k] * (dy[k] - s);
    }
}
"""
