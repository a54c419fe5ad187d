"""Neural-network operations served by the backend's kernel table."""
from __future__ import annotations

from brickwork import distribution_state
from brickwork.autodiff import is_tracked
from brickwork.hookspecs import KERNEL_ACTIVATIONS, OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.ops import manipulation as _a
from brickwork.ops import core as _core
from brickwork.ops import math as _m
from brickwork.ops.ctc_beam_search import beam_search_decode
from brickwork.ops.core import array_adapters, backend_xp, data_of, kernels, needs_grad, record


def dense(x, kernel, bias=None, activation="linear"):
    """``activation(x @ kernel + bias)`` in one fused kernel call."""
    if activation not in OUTPUT_DIFFERENTIABLE_ACTIVATIONS:
        return activation_by_name(dense(x, kernel, bias, "linear"), activation)
    k = kernels()
    xd, kd, bd = data_of(x), data_of(kernel), data_of(bias)
    y = k.dense_forward(xd, kd, bd, activation)
    if not needs_grad(x, kernel, bias):
        return y
    need_dx = is_tracked(x)

    def vjp(g):
        dx, dkernel, dbias = k.dense_backward(g, xd, kd, y, activation, need_dx)
        return dx, dkernel, dbias if bias is not None else None
    return record(y, (x, kernel, bias), vjp)


def activation_by_name(x, name):
    """Apply one of ``hookspecs.KERNEL_ACTIVATIONS`` through the kernel table."""
    if name not in KERNEL_ACTIVATIONS:
        raise ValueError(f"unknown kernel activation {name!r}; known: {', '.join(KERNEL_ACTIVATIONS)}")
    if name == "linear":
        return x if needs_grad(x) else data_of(x)
    k = kernels()
    xd = data_of(x)
    y = k.activation_forward(xd, name)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.activation_backward(g, xd, y, name),))


def relu(x): return activation_by_name(x, "relu")
def relu6(x): return activation_by_name(x, "relu6")
def sigmoid(x): return activation_by_name(x, "sigmoid")
def selu(x): return activation_by_name(x, "selu")
def softplus(x): return activation_by_name(x, "softplus")
def softsign(x): return activation_by_name(x, "softsign")
def silu(x): return activation_by_name(x, "silu")
def hard_sigmoid(x): return activation_by_name(x, "hard_sigmoid")
def hard_silu(x): return activation_by_name(x, "hard_silu")


def softmax(x, axis=-1):
    k = kernels()
    y = k.softmax_forward(data_of(x), axis)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.softmax_backward(g, y, axis),))


def log_softmax(x, axis=-1):
    k = kernels()
    y = k.log_softmax_forward(data_of(x), axis)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.log_softmax_backward(g, y, axis),))


def dropout(x, rate, noise_shape, generator):
    """Inverted dropout; ``noise_shape`` must be fully specified."""
    k = kernels()
    shard = distribution_state.current_batch_shard()
    if shard is not None and len(noise_shape) and noise_shape[0] == shard.size \
            and shard.size != shard.global_size:
        # Data-parallel training: draw the global batch's mask, as one process
        # would, and keep this process's rows (brickwork.distribution.sharding).
        xd = data_of(x)
        whole = (shard.global_size,) + tuple(noise_shape[1:])
        _, mask = k.dropout_forward(backend_xp().ones(whole, xd.dtype), rate, whole, generator)
        mask = mask[shard.start:shard.start + shard.size]
        y = k.dropout_backward(xd, mask)
    else:
        y, mask = k.dropout_forward(data_of(x), rate, tuple(noise_shape), generator)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.dropout_backward(g, mask),))


def softmax_crossentropy(logits, target, sparse=False):
    """Per-sample ``-sum(target * log_softmax(logits), -1)``, fused."""
    k = kernels()
    td = data_of(target)
    loss, probs = k.softmax_crossentropy_forward(data_of(logits), td, sparse)
    if not needs_grad(logits):
        return loss
    return record(loss, (logits,),
                  lambda g: (k.softmax_crossentropy_backward(g, probs, td, sparse),))


def sigmoid_crossentropy(logits, target):
    """Elementwise binary cross-entropy of ``sigmoid(logits)``, fused."""
    k = kernels()
    zd, td = data_of(logits), data_of(target)
    loss = k.sigmoid_crossentropy_forward(zd, td)
    if not needs_grad(logits):
        return loss
    return record(loss, (logits,), lambda g: (k.sigmoid_crossentropy_backward(g, zd, td),))


# --- activations and functions of keras.ops.nn, composed of differentiable ops ---


def elu(x, alpha=1.0):
    if alpha == 1.0:
        return activation_by_name(x, "elu")
    return _m.where(_m.greater(x, 0), x, _m.multiply(alpha, _m.expm1(_m.minimum(x, 0))))


def celu(x, alpha=1.0):
    return _m.add(_m.maximum(x, 0.0), _m.multiply(alpha, _m.expm1(_m.divide(_m.minimum(x, 0.0), alpha))))


def leaky_relu(x, negative_slope=0.2):
    return _m.where(_m.greater_equal(x, 0), x, _m.multiply(negative_slope, x))


def gelu(x, approximate=True):
    if approximate:
        inner = _m.multiply(0.7978845608028654, _m.add(x, _m.multiply(0.044715, _m.power(x, 3))))
        return _m.multiply(_m.multiply(0.5, x), _m.add(1.0, _m.tanh(inner)))
    return _m.multiply(_m.multiply(0.5, x), _m.add(1.0, _m.erf(_m.divide(x, 1.4142135623730951))))


def glu(x, axis=-1):
    n = _a._array(x).shape[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} of `x` must have an even size, got shape "
                         f"{tuple(_a._array(x).shape)}")
    a, b = _a.split(x, 2, axis=axis)
    return _m.multiply(a, sigmoid(b))


def hard_tanh(x):
    return _m.clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    return _m.where(_m.greater(_m.abs(x), threshold), x, _m.multiply(x, 0.0))


def soft_shrink(x, threshold=0.5):
    return _m.where(_m.greater(x, threshold), _m.subtract(x, threshold),
                    _m.where(_m.less(x, -threshold), _m.add(x, threshold), _m.multiply(x, 0.0)))


def tanh_shrink(x):
    return _m.subtract(x, _m.tanh(x))


def hard_swish(x):
    return hard_silu(x)


def swish(x):
    return silu(x)


def log_sigmoid(x):
    return _m.negative(softplus(_m.negative(x)))


def sparse_plus(x):
    return _m.where(_m.less_equal(x, -1.0), _m.multiply(x, 0.0),
                    _m.where(_m.greater_equal(x, 1.0), x, _m.multiply(0.25, _m.square(_m.add(x, 1.0)))))


def sparse_sigmoid(x):
    return _m.where(_m.less_equal(x, -1.0), _m.multiply(x, 0.0),
                    _m.where(_m.greater_equal(x, 1.0), _m.add(_m.multiply(x, 0.0), 1.0),
                             _m.multiply(0.5, _m.add(x, 1.0))))


def squareplus(x, b=4):
    return _m.multiply(0.5, _m.add(x, _m.sqrt(_m.add(_m.square(x), b))))


def threshold(x, threshold, default_value):
    return _m.where(_m.greater(x, threshold), x, _m.add(_m.multiply(x, 0.0), default_value))


def sparsemax(x, axis=-1):
    xp = _core.backend_xp()
    data = _m._float(_a._array(x))
    z = xp.flip(xp.sort(data, axis=axis), axis)
    k = xp.arange(1, data.shape[axis] + 1, dtype=data.dtype)
    shape = [1] * data.ndim
    shape[axis] = -1
    k = k.reshape(shape)
    cumulative = xp.cumsum(z, axis=axis)
    support = (1 + k * z) > cumulative
    k_z = support.sum(axis=axis, keepdims=True)
    tau = (xp.take_along_axis(cumulative, k_z - 1, axis) - 1) / k_z.astype(data.dtype)
    out = xp.maximum(data - tau, 0)
    if not needs_grad(x):
        return out

    def vjp(g):
        inside = (out > 0).astype(g.dtype)
        mean_g = (g * inside).sum(axis=axis, keepdims=True) / inside.sum(axis=axis, keepdims=True)
        return (inside * (g - mean_g),)
    return record(out, (x,), vjp)


def normalize(x, axis=-1, order=2, epsilon=None):
    epsilon = 1e-12 if epsilon is None else epsilon
    if order == 2:
        norm = _m.sqrt(_m.maximum(_m.sum(_m.square(x), axis=axis, keepdims=True), epsilon * epsilon))
        return _m.divide(x, norm)
    norm = _m.power(_m.sum(_m.power(_m.abs(x), order), axis=axis, keepdims=True), 1.0 / order)
    return _m.divide(x, _m.maximum(norm, epsilon))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    epsilon = 1e-7 if epsilon is None else epsilon  # backend.epsilon()
    rms = _m.rsqrt(_m.add(_m.mean(_m.square(x), axis=axis, keepdims=True), epsilon))
    out = _m.multiply(x, rms)
    return out if scale is None else _m.multiply(out, scale)


def moments(x, axes, keepdims=False, synchronized=False):
    data = _a._array(x)
    if data.dtype.kind != "f":
        x = data.astype("float32")
    mean = _m.mean(x, axis=axes, keepdims=True)
    variance = _m.mean(_m.square(_m.subtract(x, _core.stop_gradient(mean))), axis=axes, keepdims=True)
    variance = _m.subtract(variance, _m.multiply(0.0, mean))
    if not keepdims:
        axes_t = _m._normalize_axes(axes, data.ndim)
        mean = _a.squeeze(mean, axis=axes_t)
        variance = _a.squeeze(variance, axis=axes_t)
    return mean, variance


def polar(abs_, angle):
    return _m.multiply(abs_, _m.add(_m.cos(angle), _m.multiply(1j, _m.sin(angle))))


def psnr(x1, x2, max_val):
    mse = _m.mean(_m.square(_m.subtract(x1, x2)))
    return _m.subtract(_m.multiply(20.0, _m.log10(max_val)), _m.multiply(10.0, _m.log10(mse)))


def _epsilon():
    return 1e-7


def binary_crossentropy(target, output, from_logits=False):
    t, o = _a._array(target), _a._array(output)
    if t.shape != o.shape:
        raise ValueError(f"binary_crossentropy: arguments `target` and `output` must have the "
                         f"same shape: target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    t = _m._float(t).astype(_m._float(o).dtype)
    if from_logits:
        return sigmoid_crossentropy(output, t)
    eps = _epsilon()
    output = _m.clip(output, eps, 1 - eps)
    return _m.negative(_m.add(_m.multiply(t, _m.log(output)),
                              _m.multiply(_m.subtract(1.0, t), _m.log(_m.subtract(1.0, output)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    t, o = _a._array(target), _a._array(output)
    if t.shape != o.shape:
        raise ValueError(f"categorical_crossentropy: arguments `target` and `output` must have "
                         f"the same shape: target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    if from_logits:
        return _m.negative(_m.sum(_m.multiply(target, log_softmax(output, axis=axis)), axis=axis))
    output = _m.divide(output, _m.sum(output, axis=axis, keepdims=True))
    output = _m.clip(output, _epsilon(), 1 - _epsilon())
    return _m.negative(_m.sum(_m.multiply(target, _m.log(output)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    t, o = _a._array(target), _a._array(output)
    if t.ndim == o.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if t.shape != o.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy: argument `target` must have the shape "
                         f"of `output` without its last axis: target.shape={tuple(t.shape)}, "
                         f"output.shape={tuple(o.shape)}")
    return categorical_crossentropy(_a.one_hot(t, o.shape[axis], dtype=o.dtype), output,
                                    from_logits=from_logits, axis=axis)


def depth_to_space(x, block_size, data_format="channels_last"):
    data = _a._array(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = data.shape
        y = _a.reshape(x, (n, h, w, b, b, c // (b * b)))
        y = _a.transpose(y, (0, 1, 3, 2, 4, 5))
        return _a.reshape(y, (n, h * b, w * b, c // (b * b)))
    n, c, h, w = data.shape
    y = _a.reshape(x, (n, b, b, c // (b * b), h, w))
    y = _a.transpose(y, (0, 3, 4, 1, 5, 2))
    return _a.reshape(y, (n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    data = _a._array(x)
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = data.shape
        y = _a.reshape(x, (n, h // b, b, w // b, b, c))
        y = _a.transpose(y, (0, 1, 3, 2, 4, 5))
        return _a.reshape(y, (n, h // b, w // b, c * b * b))
    n, c, h, w = data.shape
    y = _a.reshape(x, (n, c, h // b, b, w // b, b))
    y = _a.transpose(y, (0, 3, 5, 1, 2, 4))
    return _a.reshape(y, (n, c * b * b, h // b, w // b))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Inputs ``(batch, seq, heads, dim)`` as Keras; returns ``(batch, seq_q, heads, dim)``."""
    from brickwork.ops.einsum import einsum
    dim = _a._array(query).shape[-1]
    scale = 1.0 / (dim ** 0.5) if scale is None else scale
    logits = einsum("btnh,bsnh->bnts", _m.multiply(query, scale), key)
    if attn_logits_soft_cap is not None:
        logits = _m.multiply(attn_logits_soft_cap, _m.tanh(_m.divide(logits, attn_logits_soft_cap)))
    if bias is not None:
        logits = _m.add(logits, bias)
    xp = _core.backend_xp()
    keep = None
    if mask is not None:
        keep = _a._array(mask).astype(bool)
    if is_causal:
        t, s = _a._array(logits).shape[-2:]
        causal = xp.tril(xp.ones((t, s), dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = _m.where(keep, logits, xp.asarray(-1e9 if _a._array(logits).dtype != "float16" else -6e4,
                                                   dtype=_a._array(logits).dtype))
    weights = softmax(logits, axis=-1)
    return einsum("bnts,bsnh->btnh", weights, value)


def _pool_windows(size, out):
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_pool(inputs, output_size, data_format, reduce):
    from brickwork.ops.convolution import standardize_data_format
    data = _a._array(inputs)
    rank = data.ndim - 2
    output_size = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    channels_last = standardize_data_format(data_format) == "channels_last"
    spatial_axes = list(range(1, 1 + rank)) if channels_last else list(range(2, 2 + rank))
    y = inputs
    for axis, out in zip(spatial_axes, output_size):
        pieces = [reduce(_a.getitem(y, (slice(None),) * axis + (slice(lo, hi),)), axis)
                  for lo, hi in _pool_windows(_a._array(y).shape[axis], out)]
        y = _a.stack(pieces, axis=axis)
    return y


def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_pool(inputs, output_size, data_format, lambda v, ax: _m.mean(v, axis=ax))


def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_pool(inputs, output_size, data_format, lambda v, ax: _m.max(v, axis=ax))


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """``torch.nn.functional.unfold`` on ``(N, C, H, W)``: ``(N, C*kh*kw, L)``."""
    xp = _core.backend_xp()
    data = _a._array(x)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    n, c, h, w = data.shape
    padded = _a.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    rows = (xp.arange(kh)[:, None] * dh + xp.arange(oh)[None, :] * sh)  # (kh, oh)
    cols = (xp.arange(kw)[:, None] * dw + xp.arange(ow)[None, :] * sw)  # (kw, ow)
    r = rows[:, None, :, None]
    q = cols[None, :, None, :]
    width = w + 2 * pw
    flat_index = (r * width + q).reshape(-1)  # (kh*kw*oh*ow)
    flat = _a.reshape(padded, (n, c, -1))
    picked = _a.take(flat, flat_index, axis=2)  # (n, c, kh*kw*oh*ow)
    return _a.reshape(picked, (n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``torch.nn.functional.fold``: the adjoint of ``unfold`` (overlaps add)."""
    xp = _core.backend_xp()
    data = _a._array(x)
    oh_full, ow_full = (output_size, output_size) if isinstance(output_size, int) else output_size
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    n, ckk, _ = data.shape
    c = ckk // (kh * kw)
    hp, wp = oh_full + 2 * ph, ow_full + 2 * pw
    oh = (hp - dh * (kh - 1) - 1) // sh + 1
    ow = (wp - dw * (kw - 1) - 1) // sw + 1
    rows = (xp.arange(kh)[:, None] * dh + xp.arange(oh)[None, :] * sh)
    cols = (xp.arange(kw)[:, None] * dw + xp.arange(ow)[None, :] * sw)
    flat_index = (rows[:, None, :, None] * wp + cols[None, :, None, :]).reshape(-1)
    values = data.reshape(n, c, -1)
    out = xp.zeros((n, c, hp * wp), dtype=data.dtype)
    array_adapters().add_at(out, (slice(None), slice(None), flat_index), values)
    out = out.reshape(n, c, hp, wp)[:, :, ph:ph + oh_full, pw:pw + ow_full]
    if not needs_grad(x):
        return out

    def vjp(g):
        gp = xp.pad(g, ((0, 0), (0, 0), (ph, ph), (pw, pw))).reshape(n, c, -1)
        return (gp[:, :, flat_index].reshape(data.shape),)
    return record(out, (x,), vjp)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss of ``output`` logits (batch, time, classes) for
    ``target`` labels (batch, max_length), ``mask_index`` the blank; the
    forward algorithm in log space, composed of differentiable ops."""
    xp = _core.backend_xp()
    logits = _a._array(output)
    if logits.ndim != 3:
        raise ValueError(f"ctc_loss: `output` must be (batch, time, classes), got shape "
                         f"{tuple(logits.shape)}")
    labels = xp.asarray(data_of(target)).astype("int64")
    batch, steps, _ = logits.shape
    label_len = xp.asarray(data_of(target_length)).astype("int64").reshape(batch)
    out_len = xp.asarray(data_of(output_length)).astype("int64").reshape(batch)
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"ctc_loss: `target` must be (batch, max_length) with batch {batch}, got "
                         f"shape {tuple(labels.shape)}")
    width = 2 * labels.shape[1] + 1
    extended = xp.full((batch, width), mask_index, dtype="int64")
    extended[:, 1::2] = labels
    log_probs = log_softmax(output, axis=-1)  # (batch, time, classes)
    index = xp.broadcast_to(extended[:, None, :], (batch, steps, width))
    emit = _a.take_along_axis(log_probs, index, axis=2)  # (batch, time, width)
    dtype = _m._float(logits).dtype
    neg_inf = xp.asarray(-1e30, dtype=dtype)
    positions = xp.arange(width)
    # a skip (s-2 -> s) is allowed onto a label that differs from the label two back
    skip_ok = xp.zeros((batch, width), dtype=bool)
    skip_ok[:, 2:] = (extended[:, 2:] != mask_index) & (extended[:, 2:] != extended[:, :-2])
    start = xp.where(positions[None, :] < 2, 0.0, -1e30).astype(dtype)
    alpha = _m.add(_a.getitem(emit, (slice(None), 0)), start)
    for t in range(1, steps):
        stay = alpha
        step = _a.concatenate([_m.add(_a.getitem(alpha, (slice(None), slice(0, 1))), -1e30),
                               _a.getitem(alpha, (slice(None), slice(0, width - 1)))], axis=1)
        skip = _a.concatenate([_m.add(_a.getitem(alpha, (slice(None), slice(0, 2))), -1e30),
                               _a.getitem(alpha, (slice(None), slice(0, width - 2)))], axis=1)
        skip = _m.where(skip_ok, skip, neg_inf)
        total = _m.logaddexp(_m.logaddexp(stay, step), skip)
        updated = _m.add(total, _a.getitem(emit, (slice(None), t)))
        alive = (t < out_len)[:, None]
        alpha = _m.where(alive, updated, alpha)
    last = xp.clip(2 * label_len, 0, width - 1)
    end_blank = _a.take_along_axis(alpha, last[:, None], axis=1)
    end_label = _a.take_along_axis(alpha, xp.clip(last - 1, 0, width - 1)[:, None], axis=1)
    end_label = _m.where((label_len > 0)[:, None], end_label, neg_inf)
    return _m.negative(_a.squeeze(_m.logaddexp(end_blank, end_label), axis=1))


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """CTC decoding, as Keras: ``(decoded, log_probabilities)`` with ``decoded``
    of shape (top_paths, batch, time), padded with -1.

    ``strategy="greedy"`` takes the best class at each step (one path; its
    score is minus the sum of the raw inputs' maxima, as Keras). ``"beam_search"``
    keeps the ``beam_width`` most probable label prefixes and returns the
    ``top_paths`` best with their log-probabilities, shape (batch, top_paths).
    """
    xp = _core.backend_xp()
    logits = _a._array(inputs)
    if logits.ndim != 3:
        raise ValueError(f"ctc_decode: `inputs` must be (batch, time, classes), got shape "
                         f"{tuple(logits.shape)}")
    batch, steps, _ = logits.shape
    lengths = xp.asarray(data_of(sequence_lengths)).astype("int64").reshape(batch)
    if strategy == "beam_search":
        decoded, scores = beam_search_decode(_a._array(log_softmax(logits, axis=-1)), lengths,
                                             beam_width, top_paths, mask_index)
        return xp.asarray(decoded), xp.asarray(scores.astype(logits.dtype))
    if strategy != "greedy":
        raise ValueError(f"ctc_decode: `strategy` must be 'greedy' or 'beam_search', "
                         f"got {strategy!r}")
    log_probs = _a._array(log_softmax(logits, axis=-1))
    best = log_probs.argmax(-1)  # (batch, time)
    valid = xp.arange(steps)[None, :] < lengths[:, None]
    score = -(xp.where(valid, logits.max(-1), 0)).sum(-1, keepdims=True)  # of the raw inputs, as Keras
    keep = valid & (best != mask_index)
    if merge_repeated:
        repeat = xp.zeros_like(keep)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        keep &= ~repeat
    decoded = xp.full((batch, steps), -1, dtype="int32")
    for b in range(batch):
        row = best[b][keep[b]]
        decoded[b, :row.shape[0]] = row
    return decoded[None], score.astype(logits.dtype)


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value)
           and getattr(value, "__module__", None) == __name__]
