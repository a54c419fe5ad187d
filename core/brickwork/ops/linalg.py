"""``keras.ops.linalg`` through the backend namespace's ``linalg``
(``numpy.linalg``, ``cupy.linalg``). Differentiable: ``inv``, ``det``,
``slogdet``, ``solve``, ``solve_triangular``, ``cholesky``,
``cholesky_inverse``, ``eig`` and ``eigh`` (distinct eigenvalues), ``lu_factor``
(square), ``qr`` (reduced, rows >= columns), ``svd`` (distinct singular
values), ``pinv``, ``lstsq`` and ``norm``; not ``matrix_rank`` (integer)."""
from __future__ import annotations

import numpy as np

from brickwork.ops import manipulation as _a
from brickwork.ops import math as _m
from brickwork.ops.core import backend_xp, convert_to_numpy, data_of, needs_grad, record


def _square(name, x):
    data = _m._float(_a._array(x))
    if data.ndim < 2 or data.shape[-1] != data.shape[-2]:
        raise ValueError(f"{name}: `x` must be a (batch of) square matrices, got shape "
                         f"{tuple(data.shape)}")
    return data


def _mT(v):
    return backend_xp().swapaxes(v, -1, -2)


def inv(x):
    xp = backend_xp()
    data = _square("inv", x)
    out = xp.linalg.inv(data)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (-_mT(out) @ g @ _mT(out),))


def det(x):
    xp = backend_xp()
    data = _square("det", x)
    out = xp.linalg.det(data)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: ((g * out)[..., None, None] * _mT(xp.linalg.inv(data)),))


def slogdet(x):
    xp = backend_xp()
    data = _square("slogdet", x)
    sign, logdet = xp.linalg.slogdet(data)
    if not needs_grad(x):
        return sign, logdet
    return sign, record(logdet, (x,), lambda g: (g[..., None, None] * _mT(xp.linalg.inv(data)),))


def logdet(x):
    return slogdet(x)[1]


def solve(a, b):
    xp = backend_xp()
    A = _square("solve", a)
    B = _m._float(_a._array(b)).astype(A.dtype)
    vector = B.ndim == A.ndim - 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-1]:
        raise ValueError(f"solve: `a` (shape {tuple(A.shape)}) and `b` (shape {tuple(B.shape)}) "
                         f"do not match")
    out = xp.linalg.solve(A, B[..., None] if vector else B)
    out = out[..., 0] if vector else out
    if not needs_grad(a, b):
        return out

    def vjp(g):
        gm = g[..., None] if vector else g
        om = out[..., None] if vector else out
        gb = xp.linalg.solve(_mT(A), gm)
        ga = -gb @ _mT(om)
        return ga, gb[..., 0] if vector else gb
    return record(out, (a, b), vjp)


def solve_triangular(a, b, lower=False):
    xp = backend_xp()
    A = _square("solve_triangular", a)
    A = xp.tril(A) if lower else xp.triu(A)
    return solve(A if not needs_grad(a) else (_a.tril(a) if lower else _a.triu(a)), b)


def cholesky(x, upper=False):
    xp = backend_xp()
    data = _square("cholesky", x)
    L = xp.linalg.cholesky(data)
    out = _mT(L) if upper else L
    if not needs_grad(x):
        return out

    def vjp(g):
        # Murray (2016): S = L^-T Phi(L^T gL) L^-1, symmetrized; Phi keeps the
        # lower triangle and halves the diagonal.
        gL = _mT(g) if upper else g
        P = _mT(L) @ gL
        P = xp.tril(P, -1) + 0.5 * (P * xp.eye(P.shape[-1], dtype=P.dtype))
        Linv = xp.linalg.inv(L)
        S = _mT(Linv) @ P @ Linv
        return (0.5 * (S + _mT(S)),)
    return record(out, (x,), vjp)


def cholesky_inverse(x, upper=False):
    L = _mT(x) if upper else x
    return inv(_m.matmul(L, _a.swapaxes(L, -1, -2)))


def eig(x):
    """Eigenvalues and right eigenvectors (unit norm) of square matrices,
    complex; differentiable for distinct eigenvalues (complex cotangents as
    PyTorch takes them, see ``ops.real``). CuPy has no general
    eigendecomposition, so on a GPU the matrices go to the host and back."""
    xp = backend_xp()
    data = _square("eig", x)
    linalg = getattr(xp.linalg, "eig", None)
    if linalg is None:  # the namespace's host transfer, then back to the device
        w, v = (xp.asarray(part) for part in np.linalg.eig(_to_host(data)))
    else:
        w, v = linalg(data)
    if not needs_grad(x):
        return w, v
    vh = xp.conj(_mT(v))

    def backward(gw, gv):
        # PyTorch's linalg_eig_backward: the off-diagonal part divided by the
        # conjugate eigenvalue gaps, the unit-norm constraint removed.
        inner = vh @ gv
        inner = inner - vh @ (v * xp.real(xp.diagonal(inner, 0, -2, -1))[..., None, :])
        gaps = xp.conj(w)[..., None, :] - xp.conj(w)[..., :, None]
        eye = xp.eye(w.shape[-1], dtype=bool)
        inner = xp.where(eye, 0, inner / xp.where(eye, 1, gaps))
        inner = inner + gw[..., :, None] * eye
        grad = xp.linalg.solve(vh, inner @ vh)
        return (grad if data.dtype.kind == "c" else xp.real(grad).astype(data.dtype),)
    zeros_w, zeros_v = xp.zeros_like(w), xp.zeros_like(v)
    return (record(w, (x,), lambda g: backward(g, zeros_v)),
            record(v, (x,), lambda g: backward(zeros_w, g)))


def _to_host(array):
    return convert_to_numpy(array)


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices;
    differentiable (distinct eigenvalues), the gradient symmetrized."""
    xp = backend_xp()
    data = _square("eigh", x)
    w, v = xp.linalg.eigh(data)
    if not needs_grad(x):
        return w, v

    def symmetric(m):
        return 0.5 * (m + _mT(m))

    def vjp_values(g):
        return (symmetric((v * g[..., None, :]) @ _mT(v)),)

    def vjp_vectors(g):
        gap = w[..., None, :] - w[..., :, None]
        eye = xp.eye(w.shape[-1], dtype=bool)
        f = xp.where(eye, 0.0, 1.0 / xp.where(eye, 1.0, gap))
        return (symmetric(v @ (f * (_mT(v) @ g)) @ _mT(v)),)
    return record(w, (x,), vjp_values), record(v, (x,), vjp_vectors)


def lu_factor(x):
    """LU with partial pivoting, as ``scipy.linalg.lu_factor``: ``(lu, pivots)``
    (row ``i`` was swapped with row ``pivots[i]``); differentiable in ``x``."""
    xp = backend_xp()
    data = _square("lu_factor", x)
    n = data.shape[-1]
    batch_shape = data.shape[:-2]
    lu = data.reshape((-1, n, n)).copy()
    rows = xp.arange(lu.shape[0])
    pivots = xp.zeros((lu.shape[0], n), dtype="int32")
    order = xp.tile(xp.arange(n), (lu.shape[0], 1))  # which row of x each row of lu came from
    for k in range(n):
        p = xp.argmax(xp.abs(lu[:, k:, k]), axis=-1) + k
        pivots[:, k] = p
        row_k = lu[rows, k].copy()
        lu[rows, k] = lu[rows, p]
        lu[rows, p] = row_k
        order_k = order[rows, k].copy()
        order[rows, k] = order[rows, p]
        order[rows, p] = order_k
        pivot = lu[:, k:k + 1, k:k + 1]
        lu[:, k + 1:, k:k + 1] = lu[:, k + 1:, k:k + 1] / xp.where(pivot == 0, 1, pivot)
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k:k + 1] @ lu[:, k:k + 1, k + 1:]
    out = lu.reshape(data.shape), pivots.reshape(batch_shape + (n,))
    if not needs_grad(x):
        return out

    def backward(g):
        # x[order] = L U. With gL, gU the cotangent's strict lower and upper
        # parts: g(x[order]) = L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T.
        g = g.reshape((-1, n, n))
        eye = xp.eye(n, dtype=lu.dtype)
        lower = xp.tril(lu, -1) + eye
        upper = xp.triu(lu)
        phi = xp.tril(_mT(lower) @ xp.tril(g, -1), -1) + xp.triu(xp.triu(g) @ _mT(upper))
        permuted = xp.linalg.solve(_mT(lower), _mT(xp.linalg.solve(upper, _mT(phi))))
        grad = xp.zeros_like(permuted)
        grad[rows[:, None], order] = permuted
        return (grad.reshape(data.shape),)
    return record(out[0], (x,), backward), out[1]


def lstsq(a, b, rcond=None):
    """Least-squares solution; differentiable (through ``pinv(a) @ b``) when a
    gradient is wanted."""
    xp = backend_xp()
    A = _m._float(_a._array(a))
    B = _m._float(_a._array(b)).astype(A.dtype)
    out = xp.linalg.lstsq(A, B, rcond=rcond)[0]
    if not needs_grad(a, b):
        return out
    # out = pinv(A) @ B: gB = pinv(A)^T g, gA through pinv's derivative
    Ap = xp.linalg.pinv(A) if rcond is None else xp.linalg.pinv(A, rcond=rcond)
    vector = B.ndim == 1

    def vjp(g):
        gm = g[:, None] if vector else g
        Bm = B[:, None] if vector else B
        gb = _mT(Ap) @ gm
        return _pinv_vjp(A, Ap, gm @ _mT(Bm)), gb[:, 0] if vector else gb
    return record(out, (a, b), vjp)


def matrix_rank(x, tol=None):
    return backend_xp().linalg.matrix_rank(_m._float(_a._array(x)), tol=tol).astype("int32")


def pinv(x, rcond=None):
    xp = backend_xp()
    data = _m._float(_a._array(x))
    out = xp.linalg.pinv(data) if rcond is None else xp.linalg.pinv(data, rcond=rcond)
    if not needs_grad(x):
        return out
    return record(out, (x,), lambda g: (_pinv_vjp(data, out, g),))


def _pinv_vjp(data, Ap, g):
    """Golub & Pereyra: dA+ = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+."""
    xp = backend_xp()
    I_m = xp.eye(data.shape[-2], dtype=data.dtype)
    I_n = xp.eye(data.shape[-1], dtype=data.dtype)
    gT = _mT(g)
    return (-_mT(Ap) @ g @ _mT(Ap)
            + (I_m - data @ Ap) @ gT @ Ap @ _mT(Ap)
            + _mT(Ap) @ Ap @ gT @ (I_n - Ap @ data))


def qr(x, mode="reduced"):
    """QR decomposition; differentiable for ``mode='reduced'`` with
    rows >= columns (PyTorch's linalg_qr_backward)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: `mode` must be 'reduced' or 'complete', got {mode!r}")
    xp = backend_xp()
    data = _m._float(_a._array(x))
    q, r = xp.linalg.qr(data, mode=mode)
    m, n = data.shape[-2:]
    if not needs_grad(x) or mode != "reduced" or m < n:
        return q, r

    def backward(gq, gr):
        mm = r @ _mT(gr) - _mT(gq) @ q
        lower = xp.tril(mm, -1)
        copyltu = lower + _mT(lower) + mm * xp.eye(n, dtype=mm.dtype)
        b = gq + q @ copyltu
        # solve X R^T = B for X: R^T is lower triangular
        return _mT(xp.linalg.solve(r, _mT(b)))
    zeros_q, zeros_r = xp.zeros_like(q), xp.zeros_like(r)
    return (record(q, (x,), lambda g: (backward(g, zeros_r),)),
            record(r, (x,), lambda g: (backward(zeros_q, g),)))


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition; differentiable in the singular values and,
    for distinct singular values, the singular vectors. With
    ``full_matrices=True`` the columns past ``min(m, n)`` are arbitrary, so, as
    in PyTorch, their cotangents are dropped."""
    xp = backend_xp()
    data = _m._float(_a._array(x))
    if not needs_grad(x):
        return xp.linalg.svd(data, full_matrices=full_matrices, compute_uv=compute_uv)
    u, s, vt = xp.linalg.svd(data, full_matrices=False)
    if not compute_uv:
        return record(s, (x,), lambda g: ((u * g[..., None, :]) @ vt,))
    k = s.shape[-1]
    if full_matrices:
        u_out, _, vt_out = xp.linalg.svd(data, full_matrices=True)
        u_out[..., :, :k], vt_out[..., :k, :] = u, vt  # one consistent set of vectors
    else:
        u_out, vt_out = u, vt

    def backward(gu, gs, gvt):
        # Townsend (2016), "Differentiating the singular value decomposition".
        v = _mT(vt)
        gu, gv = gu[..., :, :k], _mT(gvt[..., :k, :])
        s_row = s[..., None, :]
        gaps = s_row ** 2 - _mT(s_row) ** 2  # s_j^2 - s_i^2
        eye = xp.eye(k, dtype=bool)
        f = xp.where(eye, 0.0, 1.0 / xp.where(eye, 1.0, gaps))
        ut_gu, vt_gv = _mT(u) @ gu, _mT(v) @ gv
        core = ((f * (ut_gu - _mT(ut_gu))) * s_row + xp.where(eye, gs[..., None, :], 0.0)
                + _mT(s_row) * (f * (vt_gv - _mT(vt_gv))))
        grad = u @ core @ vt
        inverse_s = 1.0 / s_row
        m, n = data.shape[-2:]
        if m > k:
            grad = grad + (gu - u @ ut_gu) * inverse_s @ vt
        if n > k:
            grad = grad + (u * inverse_s) @ _mT(gv - v @ vt_gv)
        return (grad,)
    zu, zs, zvt = xp.zeros_like(u_out), xp.zeros_like(s), xp.zeros_like(vt_out)
    return (record(u_out, (x,), lambda g: backward(g, zs, zvt)),
            record(s, (x,), lambda g: backward(zu, g, zvt)),
            record(vt_out, (x,), lambda g: backward(zu, zs, g)))


def norm(x, ord=None, axis=None, keepdims=False):
    data = _m._float(_a._array(x))
    x = data if not needs_grad(x) and data is not data_of(x) else x
    if isinstance(axis, int):
        axis = (axis,)
    if axis is None:
        axis = tuple(range(data.ndim)) if (ord is None or data.ndim == 1) else (data.ndim - 2, data.ndim - 1)
        if ord is None:
            return _m.sqrt(_m.sum(_m.square(_m.abs(x) if data.dtype.kind == "c" else x),
                                  axis=axis, keepdims=keepdims))
    axis = tuple(a % data.ndim for a in axis)
    if len(axis) == 1:
        if ord is None or ord == 2:
            return _m.sqrt(_m.sum(_m.square(x), axis=axis, keepdims=keepdims))
        if ord == np.inf or ord == "inf":
            return _m.max(_m.abs(x), axis=axis, keepdims=keepdims)
        if ord == -np.inf:
            return _m.min(_m.abs(x), axis=axis, keepdims=keepdims)
        if ord == 0:
            return _m.sum(_m.not_equal(x, 0).astype(data.dtype), axis=axis, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"norm: `ord`={ord!r} is not a vector norm")
        return _m.power(_m.sum(_m.power(_m.abs(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)
    if len(axis) != 2:
        raise ValueError(f"norm: `axis` must name one or two axes, got {axis}")
    r, c = axis
    if ord is None or ord == "fro":
        return _m.sqrt(_m.sum(_m.square(x), axis=axis, keepdims=keepdims))
    if ord == 1 or ord == -1:
        sums = _m.sum(_m.abs(x), axis=r, keepdims=True)
        f = _m.max if ord == 1 else _m.min
        out = f(sums, axis=c, keepdims=True)
    elif ord == np.inf or ord == -np.inf:
        sums = _m.sum(_m.abs(x), axis=c, keepdims=True)
        f = _m.max if ord == np.inf else _m.min
        out = f(sums, axis=r, keepdims=True)
    elif ord in (2, -2, "nuc"):
        s = svd(_a.moveaxis(x, (r, c), (-2, -1)), compute_uv=False)
        value = _m.max(s, -1) if ord == 2 else _m.min(s, -1) if ord == -2 else _m.sum(s, -1)
        out = _a.moveaxis(_a.expand_dims(_a.expand_dims(value, -1), -1), (-2, -1), (r, c))
    else:
        raise ValueError(f"norm: `ord`={ord!r} is not a matrix norm")
    return out if keepdims else _a.squeeze(out, axis=(r, c))


def jvp(fun, primals, tangents, has_aux=False):
    """``(fun(*primals), J @ tangents)``. Arrays are eager and the tape is
    reverse-mode, so the product is taken by central differences in float64
    (relative error about 1e-8 for smooth ``fun``)."""
    from brickwork import tree
    primals, tangents = tuple(primals), tuple(tangents)
    result = fun(*primals)
    out, aux = result if has_aux else (result, None)
    eps = 1e-6

    def shifted(sign):
        moved = [_a._array(p).astype("float64") + sign * eps * _a._array(t).astype("float64")
                 for p, t in zip(primals, tangents)]
        value = fun(*moved)
        return value[0] if has_aux else value
    plus, minus = shifted(1.0), shifted(-1.0)
    tangent_out = tree.map_structure(
        lambda a, b, o: ((data_of(a) - data_of(b)) / (2 * eps)).astype(_a._array(o).dtype),
        plus, minus, out)
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
           "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd",
           "slogdet", "logdet"]
