"""CUDA source of the fused cross-entropies.

Softmax cross-entropy works on rows of contiguous ``(rows, classes)``
logits, one block per row: max, log-sum-exp, loss and probabilities in one
launch forward, and the gradient in one launch backward. Sigmoid
cross-entropy is elementwise.
"""

NAME = "losses"

KERNELS = ("softmax_xent_forward", "softmax_xent_backward",
           "sigmoid_xent_forward", "sigmoid_xent_backward")

CODE = r"""
// sparse == 0: target is (rows, n) probabilities; sparse == 1: labels (rows,) int64.
template <typename T>
__global__ void softmax_xent_forward(const T* logits, const T* target, const i64* labels,
                                     T* loss, T* probs, i64 n, int sparse) {
    i64 row = blockIdx.x;
    const T* x = logits + row * n;
    T m = x[0];
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) if (x[j] > m) m = x[j];
    m = bw_block_max(m);
    T s = T(0);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += exp(x[j] - m);
    s = bw_block_sum(s);
    T lse = m + log(s);
    T acc = T(0);
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
        T logp = x[j] - lse;
        probs[row * n + j] = exp(logp);
        if (!sparse) acc -= target[row * n + j] * logp;
    }
    acc = bw_block_sum(acc);
    if (threadIdx.x == 0) {
        if (sparse) {
            i64 label = labels[row];
            if (label < 0) label += n;   // as numpy's take_along_axis
            loss[row] = lse - x[label];
        } else {
            loss[row] = acc;
        }
    }
}

// dlogits = dloss[row] * (probs * sum(target) - target); sparse: target one-hot of labels.
template <typename T>
__global__ void softmax_xent_backward(const T* dloss, const T* probs, const T* target,
                                      const i64* labels, T* grad, i64 n, int sparse) {
    i64 row = blockIdx.x;
    i64 base = row * n;
    T total = T(1);
    i64 label = -1;
    if (sparse) {
        label = labels[row];
        if (label < 0) label += n;
    } else {
        T s = T(0);
        for (i64 j = threadIdx.x; j < n; j += blockDim.x) s += target[base + j];
        total = bw_block_sum(s);
    }
    T d = dloss[row];
    for (i64 j = threadIdx.x; j < n; j += blockDim.x) {
        T t = sparse ? (j == label ? T(1) : T(0)) : target[base + j];
        grad[base + j] = d * (probs[base + j] * total - t);
    }
}

template <typename T>
__global__ void sigmoid_xent_forward(const T* z, const T* t, T* loss, i64 n) {
    BW_FOR(i, n) {
        T v = z[i];
        loss[i] = (v > T(0) ? v : T(0)) - v * t[i] + log1p(exp(-fabs(v)));
    }
}

template <typename T>
__global__ void sigmoid_xent_backward(const T* dloss, const T* z, const T* t, T* grad, i64 n) {
    BW_FOR(i, n) grad[i] = dloss[i] * (bw_sigmoid(z[i]) - t[i]);
}
"""
