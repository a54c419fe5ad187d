"""Gradients of every differentiable op in ``brickwork.ops``, through the tape.

Each case computes an op on float64 ``Variable``s under a ``GradientTape`` and
compares ``tape.gradient`` of ``sum(op(...) * w)`` (random ``w``) with
central finite differences of the same op evaluated on plain arrays.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose

import reference as ref
from brickwork import GradientTape, Tensor, Variable, backend, ops
from brickwork.hookspecs import KERNEL_ACTIVATIONS

FD = dict(rtol=1e-6, atol=1e-8)
HYPOTHESIS = settings(max_examples=30, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def T(a, dtype=None):
    return ops.convert_to_tensor(a, dtype=dtype)


def N(a):
    return None if a is None else ops.convert_to_numpy(a)


def like(constant, a):
    """A backend array of ``constant`` in the dtype of the op input ``a``."""
    return T(constant, dtype=ops.dtype_of(a))


def is_plain_backend_value(value):
    xp = backend.get_backend().xp
    return isinstance(value, xp.ndarray) or (xp is np and isinstance(value, np.generic))


def V(value, dtype="float64", **kwargs):
    """A Variable of ``value``; float64 unless told (a bare Variable would be float32)."""
    return Variable(np.asarray(value), dtype=dtype, **kwargs)


def tape_gradients(fn, arrays, weights=None, dtype=np.float64):
    """``(output, [d sum(fn(*vars) * w) / d var])`` with one trainable Variable per array."""
    variables = [V(a, dtype=dtype) for a in arrays]
    with GradientTape() as tape:
        out = fn(*variables)
        w = like(weights, out) if weights is not None else None
        loss = ops.sum(ops.multiply(out, w)) if w is not None else ops.sum(out)
    return out, tape.gradient(loss, variables)


def check_gradients(fn, arrays, rng):
    """``fn``'s tape gradients equal finite differences, in float64."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    plain = N(fn(*[T(a) for a in arrays]))
    w = rng.normal(size=np.shape(plain))
    out, grads = tape_gradients(fn, arrays, w)
    assert_allclose(N(out), plain, rtol=1e-14, err_msg="forward differs on the tape")
    expected = ref.numerical_vjp(lambda *a: N(fn(*[T(x) for x in a])), arrays, w)
    for i, (got, want) in enumerate(zip(grads, expected)):
        assert got is not None, f"input {i} got no gradient"
        assert N(got).shape == want.shape, f"input {i}: gradient shape {N(got).shape} != {want.shape}"
        assert_allclose(N(got), want, **FD, err_msg=f"gradient of input {i}")


# ---------------------------------------------------------------------------
# The cases: (id, function of the op inputs, input arrays)
# ---------------------------------------------------------------------------

_r = np.random.default_rng(20240601)


def normal(*shape):
    return _r.normal(size=shape)


def positive(*shape):
    return _r.uniform(0.5, 2.0, size=shape)


def untied_pair(*shape):
    """Two arrays that differ everywhere by at least 0.1 (no max/min ties)."""
    a = normal(*shape)
    return a, a + _r.choice([-1, 1], size=shape) * _r.uniform(0.1, 1.0, size=shape)


def distinct(*shape):
    """Values with no ties, so max/min have a unique arg."""
    return _r.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + normal(*shape) * 0.01


CONDITION = _r.uniform(size=(2, 3)) > 0.5


def cases():
    c = []

    def case(name, fn, *arrays):
        c.append(pytest.param(fn, arrays, id=name))

    # elementwise, two inputs, with broadcasting
    case("add-broadcast", ops.add, normal(3, 1, 4), normal(2, 4))
    case("add-scalar", lambda a: ops.add(a, 2.0), normal(3))
    case("subtract-broadcast", ops.subtract, normal(2, 3), normal(3))
    case("multiply-broadcast", ops.multiply, normal(2, 1), normal(1, 3))
    case("divide-broadcast", ops.divide, normal(2, 3), positive(3))
    case("power", ops.power, positive(2, 3), normal(2, 3))
    case("power-broadcast-exponent", ops.power, positive(2, 3), normal(1, 3))
    case("power-int-exponent", lambda a: ops.power(a, 3), normal(2, 3))
    case("power-scalar-base", lambda a: ops.power(2.0, a), normal(4))
    case("maximum", ops.maximum, *untied_pair(2, 3))
    case("maximum-broadcast", lambda a, b: ops.maximum(a, b), normal(2, 3) + 5, normal(3))
    case("minimum", ops.minimum, *untied_pair(2, 3))
    case("minimum-scalar", lambda a: ops.minimum(a, 0.0), ref.away_from(normal(2, 3), (0.0,)))
    # elementwise, one input
    case("negative", ops.negative, normal(2, 3))
    case("abs", ops.abs, ref.away_from(normal(2, 3), (0.0,)))
    case("square", ops.square, normal(2, 3))
    case("sqrt", ops.sqrt, positive(2, 3))
    case("exp", ops.exp, normal(2, 3))
    case("log", ops.log, positive(2, 3))
    case("log1p", ops.log1p, _r.uniform(-0.5, 2.0, size=(2, 3)))
    case("tanh", ops.tanh, normal(2, 3))
    case("clip", lambda a: ops.clip(a, -0.5, 0.5), ref.away_from(normal(3, 4), (-0.5, 0.5)))
    case("where", lambda a, b: ops.where(T(CONDITION), a, b), normal(2, 3), normal(3))
    case("where-scalar-branch", lambda a: ops.where(T(CONDITION), a, 0.0), normal(2, 3))
    # reductions
    for name, op in (("sum", ops.sum), ("mean", ops.mean), ("max", ops.max), ("min", ops.min),
                     ("var", ops.var), ("std", ops.std)):
        for axis in (None, 0, -1, (0, 2)):
            for keepdims in (False, True):
                case(f"{name}-axis{axis}-keepdims{keepdims}".replace(" ", ""),
                     lambda a, op=op, axis=axis, keepdims=keepdims: op(a, axis=axis, keepdims=keepdims),
                     distinct(2, 3, 4))
    # matmul
    case("matmul-2d", ops.matmul, normal(3, 4), normal(4, 2))
    case("matmul-1d-2d", ops.matmul, normal(4), normal(4, 2))
    case("matmul-2d-1d", ops.matmul, normal(3, 4), normal(4))
    case("matmul-1d-1d", ops.matmul, normal(4), normal(4))
    case("matmul-batched", ops.matmul, normal(2, 3, 4), normal(4, 5))
    case("matmul-broadcast-batch", ops.matmul, normal(2, 1, 3, 4), normal(5, 4, 2))
    case("matmul-1d-3d", ops.matmul, normal(4), normal(2, 4, 3))
    case("matmul-3d-1d", ops.matmul, normal(2, 3, 4), normal(4))
    # shapes
    case("reshape", lambda a: ops.reshape(a, (3, -1)), normal(2, 3, 2))
    case("transpose-default", ops.transpose, normal(2, 3, 4))
    case("transpose-axes", lambda a: ops.transpose(a, (1, 2, 0)), normal(2, 3, 4))
    case("transpose-negative-axes", lambda a: ops.transpose(a, (0, -1, 1)), normal(2, 3, 4))
    case("expand_dims", lambda a: ops.expand_dims(a, 1), normal(2, 3))
    case("expand_dims-negative", lambda a: ops.expand_dims(a, -1), normal(2, 3))
    case("squeeze-all", ops.squeeze, normal(2, 1, 3, 1))
    case("squeeze-axis", lambda a: ops.squeeze(a, axis=1), normal(2, 1, 3, 1))
    case("broadcast_to", lambda a: ops.broadcast_to(a, (4, 2, 3)), normal(2, 1))
    case("concatenate-axis0", lambda a, b: ops.concatenate([a, b], axis=0), normal(2, 3), normal(1, 3))
    case("concatenate-last-axis-three", lambda a, b, c: ops.concatenate([a, b, c], axis=-1),
         normal(2, 1), normal(2, 3), normal(2, 2))
    case("stack-axis0", lambda a, b: ops.stack([a, b], axis=0), normal(2, 3), normal(2, 3))
    case("stack-axis1", lambda a, b: ops.stack([a, b], axis=1), normal(2, 3), normal(2, 3))
    case("stack-last-axis", lambda a, b: ops.stack([a, b], axis=-1), normal(2, 3), normal(2, 3))
    # indexing
    case("getitem-int", lambda a: ops.getitem(a, 1), normal(3, 4))
    case("getitem-slices", lambda a: a[1:, ::-2], normal(3, 4))
    case("getitem-ellipsis-newaxis", lambda a: a[..., None, 0], normal(2, 3, 4))
    case("getitem-fancy-repeats", lambda a: ops.getitem(a, T(np.array([0, 2, 0, 0]))), normal(3, 2))
    case("getitem-fancy-pairs", lambda a: a[T(np.array([0, 1, 1])), T(np.array([2, 0, 2]))], normal(2, 3))
    case("getitem-slice-and-fancy", lambda a: a[:, T(np.array([1, 1, 0]))], normal(2, 3))
    case("getitem-boolean-mask", lambda a: a[T(np.array([True, False, True]))], normal(3, 2))
    case("getitem-list-repeats", lambda a: ops.getitem(a, [0, 2, 0]), normal(3, 2))
    case("take-flat", lambda a: ops.take(a, T(np.array([[5, 0], [5, 3]]))), normal(2, 3))
    case("take-axis0-repeats", lambda a: ops.take(a, T(np.array([2, 0, 2])), axis=0), normal(3, 2))
    case("take-axis1-2d-indices", lambda a: ops.take(a, T(np.array([[0, 3], [3, 1]])), axis=1),
         normal(2, 4, 3))
    case("take-last-axis", lambda a: ops.take(a, T(np.array([1, 1, 0])), axis=-1), normal(2, 3))
    case("take-last-axis-2d-indices", lambda a: ops.take(a, T(np.array([[0, 3], [3, 3]])), axis=-1),
         normal(2, 3, 4))
    case("take-list-indices", lambda a: ops.take(a, [2, 0, 2], axis=0), normal(3, 2))
    # dtype
    case("cast-float64", lambda a: ops.cast(a, "float64") * 3.0, normal(2, 3))
    # neural-network ops on the kernel table
    for activation in KERNEL_ACTIVATIONS:
        x, kernel, bias = ref.kink_free_dense_inputs(_r, batch_shape=(2,), units_in=3, units_out=4)
        case(f"dense-{activation}", lambda a, k, b, act=activation: ops.dense(a, k, b, act),
             x, kernel, bias)
    case("dense-no-bias-3d", lambda a, k: ops.dense(a, k, None, "tanh"), normal(2, 2, 3), normal(3, 4))
    for activation in KERNEL_ACTIVATIONS:
        case(f"activation_by_name-{activation}",
             lambda a, act=activation: ops.activation_by_name(a, act),
             ref.away_from(_r.uniform(-5, 7, size=(3, 4))))
    for axis in (0, -1):
        case(f"softmax-axis{axis}", lambda a, axis=axis: ops.softmax(a, axis=axis), normal(3, 4))
        case(f"log_softmax-axis{axis}", lambda a, axis=axis: ops.log_softmax(a, axis=axis), normal(3, 4))
    case("dropout", lambda a: ops.dropout(a, 0.5, (4, 1), ops.kernels().random_generator(3)), normal(4, 3))
    case("softmax_crossentropy-dense",
         lambda a: ops.softmax_crossentropy(a, like(_SOFT_TARGET, a), sparse=False), normal(2, 3, 4))
    case("softmax_crossentropy-sparse",
         lambda a: ops.softmax_crossentropy(a, T(_LABELS), sparse=True), normal(2, 3, 4))
    case("sigmoid_crossentropy", lambda a: ops.sigmoid_crossentropy(a, like(_BINARY_TARGET, a)),
         normal(3, 4) * 3)
    # Python operators on Variables
    case("operator-affine", lambda v: v * 2 + 1, normal(2, 3))
    case("operator-mixed", lambda v, u: (2 - v) / u - v ** 2 + (-u) * abs(v), normal(2, 3) + 3, positive(3))
    case("operator-rtruediv-rpow", lambda v: 1 / v + 2 ** v, positive(3))
    case("operator-rmatmul", lambda v: like(_MATRIX, v) @ v, normal(4, 2))
    case("operator-matmul", lambda v: v @ like(_MATRIX.T, v), normal(2, 4))
    case("operator-numpy-left", lambda v: _host(_MATRIX, v) + v * _host(_MATRIX, v), normal(3, 4))
    case("operator-getitem-T", lambda v: v[1:].T, normal(3, 2))
    return c


def _host(array, like_value):
    """A NumPy array (not a backend array) in the dtype of ``like_value``."""
    return np.asarray(array, dtype=ops.dtype_of(like_value))


_SOFT_TARGET = _r.uniform(size=(2, 3, 4))
_LABELS = _r.integers(0, 4, size=(2, 3))
_BINARY_TARGET = _r.uniform(size=(3, 4))
_MATRIX = _r.normal(size=(3, 4))
GRADIENT_CASES = cases()

@pytest.mark.parametrize("fn, arrays", GRADIENT_CASES)
def test_gradient_matches_finite_differences(backend_name, fn, arrays, rng):
    check_gradients(fn, arrays, rng)


@pytest.mark.parametrize("fn, arrays", GRADIENT_CASES)
def test_float32_variables_get_float32_gradients(backend_name, fn, arrays, rng):
    w = rng.normal(size=np.shape(N(fn(*[T(a) for a in arrays]))))
    _, grads64 = tape_gradients(fn, arrays, w, dtype=np.float64)
    _, grads32 = tape_gradients(fn, arrays, w, dtype=np.float32)
    for i, (g32, g64) in enumerate(zip(grads32, grads64)):
        assert N(g32).dtype == np.float32, f"input {i}: gradient dtype {N(g32).dtype}"
        assert_allclose(N(g32), N(g64), rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------------------
# Tape semantics
# ---------------------------------------------------------------------------


def test_gradient_accumulates_when_a_variable_is_used_twice(backend_name):
    a = np.array([1.0, -2.0, 3.0])
    b = np.array([0.5, 4.0, -1.0])
    v, u = V(a), V(b)
    with GradientTape() as tape:
        loss = ops.sum(v * v + ops.add(v, v) + v * u)
    gv, gu = tape.gradient(loss, [v, u])
    assert_allclose(N(gv), 2 * a + 2 + b)
    assert_allclose(N(gu), a)


def test_gradient_with_respect_to_an_intermediate_tensor(backend_name):
    v = V(np.array([1.0, 2.0, 3.0]))
    with GradientTape() as tape:
        h = v * 2.0
        loss = ops.sum(h * h)
    gh, gv = tape.gradient(loss, [h, v])
    assert_allclose(N(gh), 2 * np.array([2.0, 4.0, 6.0]))
    assert_allclose(N(gv), 8 * np.array([1.0, 2.0, 3.0]))


def test_unconnected_sources_get_none(backend_name):
    v, unused, stopped, compared = (V(np.arange(1.0, 4.0)) for _ in range(4))
    with GradientTape() as tape:
        loss = ops.sum(v * ops.stop_gradient(stopped)) + ops.sum(ops.cast(ops.greater(compared, 2.0), "float64"))
    grads = tape.gradient(loss, [v, unused, stopped, compared])
    assert_allclose(N(grads[0]), np.arange(1.0, 4.0))
    assert grads[1:] == [None, None, None]
    with GradientTape() as tape:
        constant = ops.sum(T(np.ones(3)))
    assert tape.gradient(constant, v) is None


def test_non_trainable_variable_gets_no_gradient_unless_watched(backend_name):
    frozen = V(np.array([1.0, 2.0]), trainable=False)
    with GradientTape() as tape:
        loss = ops.sum(frozen * frozen)
        assert not isinstance(loss, Tensor), "a frozen variable alone must not be recorded"
    assert tape.gradient(loss, frozen) is None
    with GradientTape() as tape:
        tape.watch(frozen)
        loss = ops.sum(frozen * frozen)
        assert_allclose(N(tape.gradient(loss, frozen)), [2.0, 4.0])
    with GradientTape() as tape:  # watching ends with the tape
        loss = ops.sum(frozen * frozen)
    assert tape.gradient(loss, frozen) is None


def test_watched_variable_gradient_taken_after_the_tape_closes(backend_name):
    frozen = V(np.array([1.0, 2.0]), trainable=False)
    with GradientTape() as tape:
        tape.watch(frozen)
        loss = ops.sum(frozen * frozen)
    grad = tape.gradient(loss, frozen)
    assert grad is not None
    assert_allclose(N(grad), [2.0, 4.0])


def test_max_and_min_share_the_gradient_among_ties(backend_name):
    v = V(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]]))
    with GradientTape() as tape:
        loss = ops.sum(ops.max(v, axis=1)) + 10 * ops.sum(ops.min(v, axis=1))
    assert_allclose(N(tape.gradient(loss, v)), [[10.0, 0.5, 0.5], [1.0, 5.0, 5.0]])


def test_persistent_tape_gives_gradients_twice(backend_name):
    v = V(np.array([1.0, 2.0]))
    with GradientTape(persistent=True) as tape:
        y = ops.sum(ops.square(v))
        z = ops.sum(v * 3.0)
    assert_allclose(N(tape.gradient(y, v)), [2.0, 4.0])
    assert_allclose(N(tape.gradient(z, v)), [3.0, 3.0])


# ---------------------------------------------------------------------------
# Inference pays no tape cost
# ---------------------------------------------------------------------------


NO_TAPE_CASES = [p for p in GRADIENT_CASES if p.id != "activation_by_name-linear"]


@pytest.mark.parametrize("fn, arrays", NO_TAPE_CASES)
def test_ops_return_plain_arrays_when_nothing_needs_gradients(backend_name, fn, arrays):
    variables = [V(a) for a in arrays]
    out = fn(*variables)  # no tape recording
    assert is_plain_backend_value(out), f"got {type(out)} without a tape"
    frozen = [V(a, trainable=False) for a in arrays]
    with GradientTape():
        out = fn(*frozen)  # a tape records, but no input is tracked
        assert is_plain_backend_value(out), f"got {type(out)} with no tracked input"
        out = fn(*[T(a) for a in arrays])
        assert is_plain_backend_value(out), f"got {type(out)} from plain arrays"


def test_linear_activation_returns_a_plain_array(backend_name):
    out = ops.activation_by_name(V(np.ones(3)), "linear")
    assert is_plain_backend_value(out)


def test_recorded_ops_return_tensors(backend_name):
    v = V(np.ones((2, 2)))
    with GradientTape():
        for out in (v * 2, ops.sum(v), ops.dense(v, v), ops.softmax(v), v[0], ops.reshape(v, (4,))):
            assert isinstance(out, Tensor)


# ---------------------------------------------------------------------------
# Properties over shapes (hypothesis)
# ---------------------------------------------------------------------------


BINARY_OPS = {
    "add": (ops.add, lambda w, a, b: (w, w)),
    "subtract": (ops.subtract, lambda w, a, b: (w, -w)),
    "multiply": (ops.multiply, lambda w, a, b: (w * b, w * a)),
    "divide": (ops.divide, lambda w, a, b: (w / b, -w * a / b**2)),
}


@HYPOTHESIS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       op_name=st.sampled_from(sorted(BINARY_OPS)), seed=st.integers(0, 2**16))
def test_broadcasting_gradients_reduce_to_input_shapes(backend_name, shapes, op_name, seed):
    (shape_a, shape_b), out_shape = shapes
    r = np.random.default_rng(seed)
    a, b = r.normal(size=shape_a), r.uniform(0.5, 2.0, size=shape_b)
    w = r.normal(size=out_shape)
    op, local = BINARY_OPS[op_name]
    _, (ga, gb) = tape_gradients(op, [a, b], w)
    la, lb = local(w, np.broadcast_to(a, out_shape), np.broadcast_to(b, out_shape))
    assert N(ga).shape == shape_a and N(gb).shape == shape_b
    assert_allclose(N(ga), ref.sum_to_shape(la, shape_a), rtol=1e-12, atol=1e-12)
    assert_allclose(N(gb), ref.sum_to_shape(lb, shape_b), rtol=1e-12, atol=1e-12)


@st.composite
def shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    axes = draw(st.none() | st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    if axes is None:
        return shape, None
    negate = draw(st.booleans())
    axes = [a - len(shape) if negate else a for a in axes]
    return shape, axes[0] if len(axes) == 1 else tuple(axes)


@HYPOTHESIS
@given(case=shape_and_axis(), keepdims=st.booleans(), op_name=st.sampled_from(["sum", "mean", "max"]),
       seed=st.integers(0, 2**16))
def test_reduction_gradients_over_any_axes(backend_name, case, keepdims, op_name, seed):
    shape, axis = case
    r = np.random.default_rng(seed)
    x = r.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)  # no ties
    reduce = getattr(np, op_name)
    out_shape = reduce(x, axis=axis, keepdims=keepdims).shape
    w = r.normal(size=out_shape)
    out, (g,) = tape_gradients(lambda v: getattr(ops, op_name)(v, axis=axis, keepdims=keepdims), [x], w)
    assert N(out).shape == out_shape
    w_kept = w.reshape(reduce(x, axis=axis, keepdims=True).shape)
    if op_name == "sum":
        want = np.broadcast_to(w_kept, shape)
    elif op_name == "mean":
        want = np.broadcast_to(w_kept, shape) * (np.prod(out_shape) / x.size)
    else:
        want = (x == np.max(x, axis=axis, keepdims=True)) * w_kept
    assert_allclose(N(g), want, rtol=1e-12, atol=1e-12)


@HYPOTHESIS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_transpose_and_reshape_gradients_are_permuted_weights(backend_name, shape, data):
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    w = np.random.default_rng(0).normal(size=tuple(shape[a] for a in axes))
    x = np.zeros(shape)
    _, (g,) = tape_gradients(lambda v: ops.transpose(v, axes), [x], w)
    assert_allclose(N(g), np.transpose(w, np.argsort(axes)))
    _, (g,) = tape_gradients(lambda v: ops.reshape(v, (-1,)), [x], w.reshape(-1)[: x.size])
    assert_allclose(N(g), w.reshape(-1)[: x.size].reshape(shape))


@HYPOTHESIS
@given(shapes=hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", min_dims=0,
                                                max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_batched_matmul_gradient_shapes_and_values(backend_name, shapes, seed):
    (shape_a, shape_b), out_shape = shapes
    r = np.random.default_rng(seed)
    a, b = r.normal(size=shape_a), r.normal(size=shape_b)
    w = r.normal(size=out_shape)
    _, (ga, gb) = tape_gradients(ops.matmul, [a, b], w)
    want_a = ref.sum_to_shape(np.matmul(w, np.swapaxes(b, -1, -2)), shape_a)
    want_b = ref.sum_to_shape(np.matmul(np.swapaxes(a, -1, -2), w), shape_b)
    assert_allclose(N(ga), want_a, rtol=1e-10, atol=1e-12)
    assert_allclose(N(gb), want_b, rtol=1e-10, atol=1e-12)
