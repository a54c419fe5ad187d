"""``einsum``, differentiable, as batched matrix products.

Every contraction of two operands is rewritten as one ``matmul`` of
``(batch, free_left, summed) @ (batch, summed, free_right)`` views, so the
BLAS does the work (``numpy.einsum`` would not use it for batched
contractions), and the gradient comes from the tape's ``transpose``,
``reshape``, ``sum`` and ``matmul`` nodes, with no backward code of its own.
"""
from __future__ import annotations

import math
import string

from brickwork.ops.manipulation import broadcast_to, expand_dims, reshape, transpose
from brickwork.ops.core import shape
from brickwork.ops.math import matmul, multiply, sum as reduce_sum

def einsum(subscripts, *operands, **kwargs):
    """Evaluate ``equation`` (NumPy einsum notation: ``'ij,jk->ik'``, ``'...i,ij'``,
    implicit outputs) over any number of operands.

    Broadcasting over ``...`` and size-1 axes follows NumPy. An index repeated
    within one operand (a diagonal) is not supported.
    """
    equation = subscripts
    inputs, output = _parse(equation, [shape(x) for x in operands])
    sizes = {}
    for spec, operand in zip(inputs, operands):
        for letter, size in zip(spec, shape(operand)):
            if sizes.get(letter, 1) == 1:
                sizes[letter] = size
            elif size not in (1, sizes[letter]):
                raise ValueError(f"einsum {equation!r}: operands of shapes "
                                 f"{[shape(x) for x in operands]} disagree on index {letter!r} "
                                 f"({sizes[letter]} vs {size})")
    terms = [_broadcast(x, spec, sizes) for x, spec in zip(operands, inputs)]
    terms = list(zip(terms, inputs))
    # Contract left to right, keeping the indices that later terms or the output use.
    x, spec = terms[0]
    for i, (y, y_spec) in enumerate(terms[1:], start=1):
        later = set(output).union(*(s for _, s in terms[i + 1:]))
        x, spec = _contract_pair(x, spec, y, y_spec, later, sizes)
    x, spec = _reduce(x, spec, set(output))
    if spec != output:
        x = transpose(x, tuple(spec.index(letter) for letter in output))
    return x


def _parse(equation, shapes):
    """Input specs and output spec with ``...`` replaced by explicit letters."""
    equation = equation.replace(" ", "")
    if "->" in equation:
        lhs, output = equation.split("->")
    else:
        lhs, output = equation, None
    specs = lhs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum {equation!r} names {len(specs)} operands, got {len(shapes)}")
    ellipsis_rank = 0
    for spec, shape_ in zip(specs, shapes):
        named = len(spec.replace("...", ""))
        if "..." in spec:
            ellipsis_rank = max(ellipsis_rank, len(shape_) - named)
        elif named != len(shape_):
            raise ValueError(f"einsum {equation!r}: operand spec {spec!r} has {named} indices "
                             f"but the operand has shape {tuple(shape_)}")
    free_letters = [c for c in string.ascii_letters if c not in equation]
    elided = "".join(free_letters[:ellipsis_rank])
    inputs = []
    for spec, shape_ in zip(specs, shapes):
        if "..." in spec:
            rank = len(shape_) - len(spec.replace("...", ""))
            spec = spec.replace("...", elided[ellipsis_rank - rank:])
        if len(set(spec)) != len(spec):
            raise ValueError(f"einsum {equation!r}: an index repeated within one operand "
                             f"(a diagonal) is not supported")
        inputs.append(spec)
    if output is None:
        counts = {}
        for spec in inputs:
            for letter in spec:
                counts[letter] = counts.get(letter, 0) + 1
        output = elided + "".join(sorted(k for k, n in counts.items() if n == 1 and k not in elided))
    else:
        output = output.replace("...", elided)
    unknown = set(output) - set("".join(inputs))
    if unknown:
        raise ValueError(f"einsum {equation!r}: output indices {sorted(unknown)} appear in no input")
    return inputs, output


def _broadcast(x, spec, sizes):
    wanted = tuple(sizes[letter] for letter in spec)
    return x if shape(x) == wanted else broadcast_to(x, wanted)


def _reduce(x, spec, keep):
    """Sum out the indices of ``x`` that are not in ``keep``."""
    axes = tuple(i for i, letter in enumerate(spec) if letter not in keep)
    if not axes:
        return x, spec
    return reduce_sum(x, axis=axes), "".join(letter for letter in spec if letter in keep)


def _contract_pair(x, x_spec, y, y_spec, keep, sizes):
    """Contract two terms, keeping the indices in ``keep``; returns (term, spec)."""
    x, x_spec = _reduce(x, x_spec, keep | set(y_spec))
    y, y_spec = _reduce(y, y_spec, keep | set(x_spec))
    batch = [c for c in x_spec if c in y_spec and c in keep]
    summed = [c for c in x_spec if c in y_spec and c not in keep]
    left = [c for c in x_spec if c not in y_spec]
    right = [c for c in y_spec if c not in x_spec]
    if not summed and not batch:
        # An outer product: plain broadcasting beats a matmul with inner size 1.
        out_spec = x_spec + y_spec
        xs = x
        for _ in right:
            xs = expand_dims(xs, -1)
        ys = y
        for _ in left:
            ys = expand_dims(ys, 0)
        return multiply(xs, ys), out_spec

    def size(letters):
        return math.prod(sizes[c] for c in letters)
    # Without batch indices plain 2-D products: NumPy hands those (and their
    # transposes in the backward pass) to the BLAS, not always so for 3-D stacks.
    lead = (size(batch),) if batch else ()
    xm = _as_matrix(x, x_spec, batch + left + summed, lead + (size(left), size(summed)))
    ym = _as_matrix(y, y_spec, batch + summed + right, lead + (size(summed), size(right)))
    out = matmul(xm, ym)
    out_spec = "".join(batch + left + right)
    return reshape(out, tuple(sizes[c] for c in out_spec)), out_spec


def _order(spec, wanted):
    return tuple(spec.index(c) for c in wanted)


def _as_matrix(x, spec, order, matrix_shape):
    wanted = "".join(order)
    if spec != wanted:
        x = transpose(x, _order(spec, wanted))
    return reshape(x, matrix_shape)


__all__ = ["einsum"]
