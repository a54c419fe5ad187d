"""Conformance of brickwork-transformer's kernels on every usable backend that
implements them: forward against float64 references written here, backward
against central finite differences in float64, inputs never modified."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brickwork import backend, ops


def usable_backends():
    return [s.name for s in backend.list_backends() if s.usable]


@pytest.fixture(params=usable_backends())
def kernels(request):
    with backend.use_backend(request.param) as selected:
        yield selected.kernels


def T(a):
    return None if a is None else ops.convert_to_tensor(a)


def N(a):
    return ops.convert_to_numpy(a)


def call(kernel, *args):
    """Call a kernel on backend copies of ``args``; check none was modified."""
    arrays = [T(a) if isinstance(a, np.ndarray) else a for a in args]
    saved = [np.array(N(a)) if isinstance(a, np.ndarray) else None for a in args]
    result = kernel(*arrays)
    for position, (array, before) in enumerate(zip(arrays, saved)):
        if before is not None:
            assert_array_equal(N(array), before, err_msg=f"argument {position} modified")
    return tuple(N(r) for r in result)


def reference_attention(q, k, v, mask, scale):
    scores = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.einsum("bhqk,bhkd->bhqd", weights, v), weights


def reference_layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def numeric_gradient(f, x, dy, eps=1e-6):
    """d(sum(f(x) * dy))/dx by central differences."""
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        keep = x[i]
        x[i] = keep + eps
        up = np.sum(f() * dy)
        x[i] = keep - eps
        down = np.sum(f() * dy)
        x[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


def attention_inputs(rng, masked):
    q, k = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 5, 4))
    v = rng.normal(size=(2, 2, 5, 3))
    mask = None
    if masked == "padding":
        mask = np.ones((2, 1, 1, 5), bool)
        mask[1, ..., 3:] = False
    elif masked == "full-row":  # the first query of batch 0 may attend to nothing
        mask = rng.random((2, 1, 3, 5)) > 0.3
        mask[0, 0, 0] = False
    return q, k, v, mask


@pytest.mark.parametrize("masked", [None, "padding", "full-row"])
def test_attention_forward_matches_reference(kernels, masked):
    rng = np.random.default_rng(0)
    q, k, v, mask = attention_inputs(rng, masked)
    want_out, want_w = reference_attention(q, k, v, mask, 0.5)
    out, weights = call(kernels.transformer_attention_forward, q, k, v, mask, 0.5)
    assert_allclose(out, want_out, rtol=1e-12, atol=1e-12)
    assert_allclose(weights, want_w, rtol=1e-12, atol=1e-12)
    out32, _ = call(kernels.transformer_attention_forward, *(a.astype(np.float32) for a in (q, k, v)),
                    mask, 0.5)
    assert out32.dtype == np.float32
    assert_allclose(out32, want_out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("masked", [None, "padding", "full-row"])
def test_attention_backward_matches_finite_differences(kernels, masked):
    rng = np.random.default_rng(1)
    q, k, v, mask = attention_inputs(rng, masked)
    dout = rng.normal(size=(2, 2, 3, 3))
    _, weights = reference_attention(q, k, v, mask, 0.5)
    dq, dk, dv = call(kernels.transformer_attention_backward, dout, q, k, v, mask, weights, 0.5)
    for name, x, got in (("query", q, dq), ("key", k, dk), ("value", v, dv)):
        want = numeric_gradient(lambda: reference_attention(q, k, v, mask, 0.5)[0], x, dout)
        assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=f"d{name}")


def test_layer_norm_forward_matches_reference(kernels):
    rng = np.random.default_rng(2)
    x, gamma, beta = rng.normal(size=(2, 3, 6)) * 3 + 1, rng.normal(size=6), rng.normal(size=6)
    y, mean, inv_std = call(kernels.transformer_layer_norm_forward, x, gamma, beta, 1e-3)
    assert_allclose(y, reference_layer_norm(x, gamma, beta, 1e-3), rtol=1e-12, atol=1e-12)
    assert mean.shape == inv_std.shape == (2, 3, 1)
    assert_allclose(inv_std, 1 / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-12)
    y32, _, _ = call(kernels.transformer_layer_norm_forward,
                     *(a.astype(np.float32) for a in (x, gamma, beta)), 1e-3)
    assert y32.dtype == np.float32
    assert_allclose(y32, reference_layer_norm(x, gamma, beta, 1e-3), rtol=1e-5, atol=1e-5)


def test_layer_norm_backward_matches_finite_differences(kernels):
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.normal(size=(2, 3, 5)), rng.normal(size=5), rng.normal(size=5)
    dy = rng.normal(size=x.shape)
    _, mean, inv_std = call(kernels.transformer_layer_norm_forward, x, gamma, beta, 1e-3)
    dx, dgamma, dbeta = call(kernels.transformer_layer_norm_backward, dy, x, gamma, mean, inv_std)
    forward = lambda: reference_layer_norm(x, gamma, beta, 1e-3)  # noqa: E731
    for name, wrt, got in (("x", x, dx), ("gamma", gamma, dgamma), ("beta", beta, dbeta)):
        assert_allclose(got, numeric_gradient(forward, wrt, dy), rtol=1e-6, atol=1e-8,
                        err_msg=f"d{name}")


def test_kernel_signatures_equal_their_specs(kernels):
    import inspect

    from brickwork_transformer import hookspecs
    for name in ("transformer_attention_forward", "transformer_attention_backward",
                 "transformer_layer_norm_forward", "transformer_layer_norm_backward"):
        spec = list(inspect.signature(getattr(hookspecs, name)).parameters)
        params = inspect.signature(getattr(kernels, name)).parameters.values()
        assert [p.name for p in params] == spec, name
        assert all(p.default is p.empty for p in params), name


def _cupy_usable():
    from brickwork import backend
    status = {s.name: s for s in backend.list_backends()}.get("cupy")
    return status is not None and status.usable, getattr(status, "reason", "cupy not installed")


def test_cupy_kernels_declare_exactly_the_specs_parameters():
    import inspect

    cupy_kernels = pytest.importorskip("brickwork_transformer.cupy_kernels",
                                       reason="cupy is not installed")
    from brickwork_transformer import hookspecs, numpy_kernels
    for name in ("transformer_attention_forward", "transformer_attention_backward",
                 "transformer_layer_norm_forward", "transformer_layer_norm_backward"):
        spec = list(inspect.signature(getattr(hookspecs, name)).parameters)
        assert list(inspect.signature(getattr(cupy_kernels, name)).parameters) == spec
        assert list(inspect.signature(getattr(numpy_kernels, name)).parameters) == spec


@pytest.mark.gpu
def test_cupy_kernels_match_numpy_kernels():
    usable, reason = _cupy_usable()
    if not usable:
        pytest.skip(f"cupy backend unusable here: {reason}")
    import cupy as cp

    from brickwork_transformer import cupy_kernels, numpy_kernels
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)) for _ in range(3))
    mask = rng.random((2, 1, 5, 5)) > 0.2
    mask[..., 0] = True
    out_np, w_np = numpy_kernels.transformer_attention_forward(q, k, v, mask, 0.5)
    out_cp, w_cp = cupy_kernels.transformer_attention_forward(
        cp.asarray(q), cp.asarray(k), cp.asarray(v), cp.asarray(mask), 0.5)
    np.testing.assert_allclose(cp.asnumpy(out_cp), out_np, rtol=1e-10)
    np.testing.assert_allclose(cp.asnumpy(w_cp), w_np, rtol=1e-10)
    dout = rng.standard_normal(out_np.shape)
    grads_np = numpy_kernels.transformer_attention_backward(dout, q, k, v, mask, w_np, 0.5)
    grads_cp = cupy_kernels.transformer_attention_backward(
        cp.asarray(dout), cp.asarray(q), cp.asarray(k), cp.asarray(v), cp.asarray(mask), w_cp, 0.5)
    for got, want in zip(grads_cp, grads_np):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=1e-9, atol=1e-12)
    x, gamma, beta = rng.standard_normal((4, 6)), rng.standard_normal(6), rng.standard_normal(6)
    y_np, mean_np, inv_np = numpy_kernels.transformer_layer_norm_forward(x.copy(), gamma, beta, 1e-3)
    y_cp, mean_cp, inv_cp = cupy_kernels.transformer_layer_norm_forward(
        cp.asarray(x), cp.asarray(gamma), cp.asarray(beta), 1e-3)
    np.testing.assert_allclose(cp.asnumpy(y_cp), y_np, rtol=1e-10)
    dy = rng.standard_normal(x.shape)
    for got, want in zip(
            cupy_kernels.transformer_layer_norm_backward(cp.asarray(dy), cp.asarray(x),
                                                         cp.asarray(gamma), mean_cp, inv_cp),
            numpy_kernels.transformer_layer_norm_backward(dy, x, gamma, mean_np, inv_np)):
        np.testing.assert_allclose(cp.asnumpy(got), want, rtol=1e-9, atol=1e-12)
