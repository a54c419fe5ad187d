"""``brickwork.random``: random tensors under ``keras.random``'s names, and seeding.

The eleven public names of ``keras.random`` (:class:`SeedGenerator`,
:func:`normal`, :func:`uniform`, :func:`truncated_normal`, :func:`randint`,
:func:`shuffle`, :func:`dropout`, :func:`categorical`, :func:`gamma`,
:func:`binomial`, :func:`beta`) with Keras' signatures, defaults and seed
semantics. Each returns an array of the selected backend (a Tensor on the
gradient tape where the op is differentiable and its input is tracked:
:func:`dropout` and :func:`shuffle`).

``seed`` is what Keras takes:

* an int: the same values on every call (a fresh backend generator seeded
  from ``[seed, 0]``);
* a :class:`SeedGenerator`: different values on every call, reproducible
  from the generator's seed (call ``k`` is seeded from ``[seed, k]``,
  the state Keras keeps; so ``seed=7`` gives the values of the first call
  with ``SeedGenerator(7)``);
* None: a seed drawn from the global generator, which
  :func:`set_random_seed` (also ``brickwork.utils.set_random_seed``) resets.

Every distribution is built from the four methods of the backend's
``random_generator`` that the hook specification declares (``random``,
``standard_normal``, ``integers``, ``permutation``) and array math of the
backend's namespace, so a backend supplies nothing more.

Initial weights are drawn on the host with NumPy (:func:`host_generator`),
whatever the backend, so a seeded model starts from the same weights on
every backend.
"""
from __future__ import annotations

import math
import numbers
import random as _py_random

import numpy as np

from brickwork import backend as _backend
from brickwork import ops
from brickwork.autodiff import Tensor
from brickwork.dtypes import floatx, standardize_dtype
from brickwork.naming import auto_name
from brickwork.variables import Variable

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "shuffle",
           "dropout", "categorical", "gamma", "binomial", "beta"]

_global = {"generator": np.random.default_rng()}


# -- the global generator ----------------------------------------------------------


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's legacy global state and brickwork,
    as ``keras.utils.set_random_seed`` does: afterwards, initial weights,
    layers' seed generators made without a seed and ``seed=None`` draws of
    this module repeat from run to run."""
    if not _is_int(seed):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed)
    _global["generator"] = np.random.default_rng(seed)


def global_generator() -> np.random.Generator:
    return _global["generator"]


def draw_seed() -> int:
    """A fresh seed from the global generator (reproducible after set_random_seed)."""
    return int(global_generator().integers(0, 2**31 - 1))


def host_generator(seed) -> np.random.Generator:
    """A NumPy generator from ``seed`` (None: one drawn from the global generator)."""
    return np.random.default_rng(draw_seed() if seed is None else seed)


# -- SeedGenerator ---------------------------------------------------------------------


class SeedGenerator:
    """A source of fresh seeds, as ``keras.random.SeedGenerator``.

    Passed as the ``seed`` of a function of this module, it gives different
    values on each call, reproducible from its seed: like Keras it keeps a
    ``state`` of ``[seed, counter]``, and each call draws with a backend
    generator seeded from the current state, then advances the counter
    (:meth:`next`).

    Layers draw from it in a second way, faster for noise drawn at every
    step: :meth:`backend_generator` is one stateful backend generator per
    backend, seeded with ``seed`` and drawn from in turn. Its stream and the
    counter are independent, and both carry over when a model moves to
    another backend.

    Args:
        seed: an int; None draws one from the global generator (reproducible
            after :func:`set_random_seed`).
        name: a name; None makes ``"seed_generator"``, ``"seed_generator_1"``, ...

    Example:

    ```python
    seed_gen = brickwork.random.SeedGenerator(seed=42)
    values = brickwork.random.normal(shape=(2, 3), seed=seed_gen)
    new_values = brickwork.random.normal(shape=(2, 3), seed=seed_gen)
    ```
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        if seed is not None and not _is_int(seed):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r} "
                             f"(of type {type(seed).__name__})")
        self.name = auto_name("seed_generator") if name is None else name
        self._initial_seed = None if seed is None else int(seed)
        self.seed = draw_seed() if seed is None else int(seed)
        self._state = [self.seed, 0]
        self._generators = {}

    @property
    def state(self):
        """``[seed, counter]`` as a NumPy int array (a copy); the next call of
        a function of this module draws with a generator seeded from it.
        Assigning two ints sets it (to replay from a saved state)."""
        return np.array(self._state)

    @state.setter
    def state(self, value):
        values = list(np.asarray(value).reshape(-1))
        if len(values) != 2 or not all(_is_int(v) for v in values):
            raise ValueError(f"SeedGenerator {self.name!r}: `state` must be two integers "
                             f"[seed, counter]. Received: state={value!r}")
        self._state = [int(v) for v in values]

    def next(self, ordered=True):
        """The current state ``[seed, counter]`` (a NumPy int array), then
        advance: ``ordered`` adds one to the counter; otherwise both entries
        become ``(entry + 1) * 5387 % 933199``, as Keras does."""
        current = self.state
        seed, counter = self._state
        if ordered:
            self._state = [seed, counter + 1]
        else:
            self._state = [(seed + 1) * 5387 % 933199, (counter + 1) * 5387 % 933199]
        return current

    def backend_generator(self):
        """This generator's stateful stream on the selected backend (made on
        first use, seeded with ``seed``), for layers that draw at every step."""
        current = _backend.get_backend()
        generator = self._generators.get(current.name)
        if generator is None:
            seed = self.seed if self.seed >= 0 else self.seed % 2**64
            generator = current.kernels.random_generator(seed)
            self._generators[current.name] = generator
        return generator

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} seed={self.seed} state={self._state}>"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _stream_seed(seed, counter) -> int:
    """The int a backend generator is seeded with for state ``[seed, counter]``
    (hashed, so neighbouring states give unrelated streams)."""
    entropy = [int(seed) % 2**64, int(counter) % 2**64]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _generator(function, seed):
    """A backend generator for one call of ``function`` with ``seed``."""
    if isinstance(seed, SeedGenerator):
        first, second = (int(v) for v in seed.next())
    elif seed is None:
        first, second = draw_seed(), 0
    elif _is_int(seed):
        first, second = int(seed), 0
    else:
        raise ValueError(_seed_error(function, seed))
    return _backend.get_backend().kernels.random_generator(_stream_seed(first, second))


def _seed_error(function, seed):
    return (f"brickwork.random.{function}: `seed` must be an integer, a "
            f"brickwork.random.SeedGenerator or None. Received: seed={seed!r} "
            f"(of type {type(seed).__name__})")


def _check_seed(function, seed):
    if not (seed is None or _is_int(seed) or isinstance(seed, SeedGenerator)):
        raise ValueError(_seed_error(function, seed))


# -- argument checks -------------------------------------------------------------------


def _shape(function, shape, argument="shape"):
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape)."""
    dims = (shape,) if _is_int(shape) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        dims = None
    if dims is None or not all(_is_int(d) and d >= 0 for d in dims):
        raise ValueError(f"brickwork.random.{function}: `{argument}` must be a tuple of "
                         f"non-negative integers. Received: {argument}={shape!r}")
    return tuple(int(d) for d in dims)


def _dtype(function, dtype, kinds, default, what):
    try:
        name = standardize_dtype(default if dtype is None else dtype)
    except (TypeError, ValueError):
        name = None
    if name is None or np.dtype(name).kind not in kinds:
        raise ValueError(f"brickwork.random.{function} requires {what} `dtype`. "
                         f"Received: dtype={dtype!r}")
    return name


def _float_dtype(function, dtype):
    return _dtype(function, dtype, "f", floatx(), "a floating point")


def _draw_dtype(dtype):
    """The dtype the generator draws in for an output of ``dtype``: float64
    for float64, float32 otherwise (generators draw no float16)."""
    return "float64" if dtype == "float64" else "float32"


def _param(function, argument, value, shape, check=None, requirement=""):
    """A number as a Python float, an array as a float64 backend array that
    broadcasts to ``shape``; ``check`` (elementwise, True where valid) must
    hold everywhere."""
    xp = ops.backend_xp()
    if isinstance(value, (Tensor, Variable)):
        value = ops.data_of(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
    else:
        try:
            array = ops.convert_to_tensor(value)
            array = array.astype("float64")
        except (TypeError, ValueError):
            raise ValueError(f"brickwork.random.{function}: `{argument}` must be a number or "
                             f"an array of numbers. Received: {argument}={value!r}") from None
        if array.ndim == 0:
            value = float(array)
        else:
            try:
                fits = np.broadcast_shapes(tuple(array.shape), shape) == shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"brickwork.random.{function}: `{argument}` of shape "
                                 f"{tuple(array.shape)} does not broadcast to shape={shape}")
            value = array
    if check is not None:
        if isinstance(value, float):
            if not check(np.float64(value)):
                raise ValueError(f"brickwork.random.{function}: `{argument}` must be "
                                 f"{requirement}. Received: {argument}={value!r}")
        else:
            valid = check(value)
            if not bool(xp.all(valid)):
                bad = float(value[~valid].reshape(-1)[0])
                raise ValueError(f"brickwork.random.{function}: `{argument}` must be "
                                 f"{requirement}. Received: {argument} holding {bad!r}")
    return value


def _full(value, shape):
    """A number or an array that broadcasts to ``shape``: a fresh, writable,
    flat float64 array, ``prod(shape)`` long."""
    xp = ops.backend_xp()
    if isinstance(value, float):
        return xp.full(shape, value, dtype="float64").reshape(-1)
    return xp.broadcast_to(value, shape).reshape(-1).copy()


def _nonnegative(x):
    return x >= 0


def _positive_finite(x):
    return (x > 0) & (x < np.inf)


def _finite(x):
    return (x > -np.inf) & (x < np.inf)


def _probability(x):
    return (x >= 0) & (x <= 1)


def _whole_nonnegative(x):
    return (x >= 0) & (x < np.inf) & (x % 1 == 0)


# -- continuous distributions ----------------------------------------------------------


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draw random samples from a normal (Gaussian) distribution.

    Args:
        shape: The shape of the random values to generate.
        mean: Float (or an array that broadcasts to ``shape``), defaults to 0.
            Mean of the random values to generate.
        stddev: Float (or an array that broadcasts to ``shape``), defaults to
            1. Standard deviation of the random values to generate; not negative.
        dtype: Optional floating point dtype of the result; ``floatx()``
            (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    shape = _shape("normal", shape)
    dtype = _float_dtype("normal", dtype)
    mean = _param("normal", "mean", mean, shape)
    stddev = _param("normal", "stddev", stddev, shape, _nonnegative, "non-negative")
    generator = _generator("normal", seed)
    z = ops.backend_xp().asarray(generator.standard_normal(shape, _draw_dtype(dtype)))
    out = z * _as(stddev, z.dtype) + _as(mean, z.dtype)
    return out.astype(dtype, copy=False)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draw samples from a uniform distribution in ``[minval, maxval)``.

    Args:
        shape: The shape of the random values to generate.
        minval: Float (or an array that broadcasts to ``shape``), defaults to
            0. Lower bound of the range (inclusive).
        maxval: Float (or an array that broadcasts to ``shape``), defaults to
            1. Upper bound of the range (exclusive); greater than ``minval``.
        dtype: Optional floating point dtype of the result; ``floatx()``
            (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    xp = ops.backend_xp()
    shape = _shape("uniform", shape)
    dtype = _float_dtype("uniform", dtype)
    minval = _param("uniform", "minval", minval, shape, _finite, "finite")
    maxval = _param("uniform", "maxval", maxval, shape, _finite, "finite")
    if isinstance(minval, float) and isinstance(maxval, float):
        invalid = not maxval > minval
    else:
        invalid = not bool(xp.all(xp.asarray(maxval) > xp.asarray(minval)))
    if invalid:
        raise ValueError(f"brickwork.random.uniform: `maxval` must be greater than `minval`. "
                         f"Received: minval={_show(minval)}, maxval={_show(maxval)}")
    u = xp.asarray(_generator("uniform", seed).random(shape, _draw_dtype(dtype)))
    low, high = _as(minval, u.dtype), _as(maxval, u.dtype)
    out = (low + (high - low) * u).astype(dtype, copy=False)
    # Rounding (to the draw dtype, then to ``dtype``) may reach maxval: keep it excluded.
    top = xp.asarray(maxval, dtype=dtype)
    below_top = xp.nextafter(top, xp.asarray(-np.inf, dtype=dtype))
    return xp.minimum(out, below_top)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draw samples from a truncated normal distribution: normal values with
    ``mean`` and ``stddev``, where values more than two standard deviations
    from the mean are discarded and drawn again.

    Args:
        shape: The shape of the random values to generate.
        mean: Float (or an array that broadcasts to ``shape``), defaults to 0.
        stddev: Float (or an array that broadcasts to ``shape``), defaults to
            1; not negative.
        dtype: Optional floating point dtype of the result; ``floatx()``
            (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    xp = ops.backend_xp()
    shape = _shape("truncated_normal", shape)
    dtype = _float_dtype("truncated_normal", dtype)
    mean = _param("truncated_normal", "mean", mean, shape)
    stddev = _param("truncated_normal", "stddev", stddev, shape, _nonnegative, "non-negative")
    generator = _generator("truncated_normal", seed)
    draw_dtype = _draw_dtype(dtype)
    z = xp.asarray(generator.standard_normal((math.prod(shape),), draw_dtype))
    # Redraw the standard values outside (-2, 2) until none is left: each
    # round keeps 95.4% of what it draws, so a million values take ~5 rounds.
    pending = xp.nonzero(xp.abs(z) >= 2)[0]
    while pending.size:
        fresh = xp.asarray(generator.standard_normal((int(pending.size),), draw_dtype))
        z[pending] = fresh
        pending = pending[xp.abs(fresh) >= 2]
    z = z.reshape(shape)
    out = z * _as(stddev, z.dtype) + _as(mean, z.dtype)
    return out.astype(dtype, copy=False)


def gamma(shape, alpha, dtype=None, seed=None):
    """Draw random samples from the Gamma distribution of shape ``alpha``
    and scale 1 (mean ``alpha``, variance ``alpha``).

    Marsaglia and Tsang's method (2000), with all values drawn together and
    the rejected ones drawn again; for ``alpha < 1`` a draw of
    ``Gamma(alpha + 1)`` times ``U ** (1 / alpha)``. Computed in float64,
    in log space, then cast to ``dtype``.

    Args:
        shape: The shape of the random values to generate.
        alpha: Float (or an array that broadcasts to ``shape``), positive.
        dtype: Optional floating point dtype of the result; ``floatx()``
            (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    shape = _shape("gamma", shape)
    dtype = _float_dtype("gamma", dtype)
    alpha = _param("gamma", "alpha", alpha, shape, _positive_finite, "positive and finite")
    generator = _generator("gamma", seed)
    log_g = _log_standard_gamma(generator, _full(alpha, shape))
    return ops.backend_xp().exp(log_g).reshape(shape).astype(dtype, copy=False)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draw samples from the Beta distribution with parameters ``alpha`` and
    ``beta``: ``X / (X + Y)`` for ``X ~ Gamma(alpha)``, ``Y ~ Gamma(beta)``
    (see :func:`gamma`), computed from their logarithms so that small
    parameters, whose gamma draws underflow, still give values in [0, 1].

    Args:
        shape: The shape of the random values to generate.
        alpha: Float (or an array that broadcasts to ``shape``), positive.
        beta: Float (or an array that broadcasts to ``shape``), positive.
        dtype: Optional floating point dtype of the result; ``floatx()``
            (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    shape = _shape("beta", shape)
    dtype = _float_dtype("beta", dtype)
    alpha = _param("beta", "alpha", alpha, shape, _positive_finite, "positive and finite")
    beta_ = _param("beta", "beta", beta, shape, _positive_finite, "positive and finite")
    generator = _generator("beta", seed)
    out = _standard_beta(generator, _full(alpha, shape), _full(beta_, shape))
    return out.reshape(shape).astype(dtype, copy=False)


def _log_standard_gamma(generator, alpha):
    """``log(G)`` for ``G ~ Gamma(alpha, 1)``, elementwise over the flat
    float64 array ``alpha`` (all positive).

    Marsaglia & Tsang: with ``d = a - 1/3``, ``c = 1 / sqrt(9 d)``, draw
    ``x ~ N(0, 1)``, ``u ~ U(0, 1]``, ``v = (1 + c x)^3``; accept ``d v``
    when ``v > 0`` and ``log u < x^2 / 2 + d - d v + d log v`` (at least
    95% accepted for every ``a >= 1``). For ``a < 1``: ``Gamma(a + 1) *
    U^(1/a)``, added in log space, where it cannot underflow.
    """
    xp = ops.backend_xp()
    boost = alpha < 1
    a = xp.where(boost, alpha + 1.0, alpha)
    d = a - 1.0 / 3.0
    c = 1.0 / xp.sqrt(9.0 * d)
    accept, log_g = _marsaglia_tsang(generator, d, c)
    pending = xp.nonzero(~accept)[0]
    while pending.size:  # the rejected few, drawn again
        accept, fresh = _marsaglia_tsang(generator, d[pending], c[pending])
        log_g[pending[accept]] = fresh[accept]
        pending = pending[~accept]
    if bool(xp.any(boost)):
        u = 1.0 - xp.asarray(generator.random(alpha.shape, "float64"))
        log_g = xp.where(boost, log_g + xp.log(u) / alpha, log_g)
    return log_g


def _marsaglia_tsang(generator, d, c):
    """One round of Marsaglia & Tsang over flat arrays ``d``, ``c``:
    ``(accepted, log(d v))``, the latter meaningful where accepted."""
    xp = ops.backend_xp()
    n = int(d.shape[0])
    x = xp.asarray(generator.standard_normal((n,), "float64"))
    u = 1.0 - xp.asarray(generator.random((n,), "float64"))  # in (0, 1]
    v = 1.0 + c * x
    positive = v > 0
    log_v3 = 3.0 * xp.log(xp.where(positive, v, 1.0))
    accept = positive & (xp.log(u) < 0.5 * x * x + d - d * xp.exp(log_v3) + d * log_v3)
    return accept, xp.log(d) + log_v3


def _standard_beta(generator, alpha, beta):
    """``Beta(alpha, beta)`` draws over flat float64 arrays: ``X / (X + Y)``
    as ``sigmoid(log X - log Y)``, in float64."""
    xp = ops.backend_xp()
    size = int(alpha.shape[0])
    log_g = _log_standard_gamma(generator, xp.concatenate([alpha, beta]))
    difference = log_g[:size] - log_g[size:]
    e = xp.exp(-xp.abs(difference))
    return xp.where(difference >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# -- discrete distributions ------------------------------------------------------------


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draw random integers uniformly from ``[minval, maxval)``.

    Args:
        shape: The shape of the random values to generate.
        minval: Int, lower bound of the range (inclusive).
        maxval: Int, upper bound of the range (exclusive); greater than
            ``minval``. Both bounds must fit ``dtype``.
        dtype: Integer dtype of the result, ``"int32"`` by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    shape = _shape("randint", shape)
    dtype = _dtype("randint", dtype, "iu", "int32", "an integer")
    for argument, value in (("minval", minval), ("maxval", maxval)):
        if not (_is_int(value) or isinstance(value, float) and value.is_integer()):
            raise ValueError(f"brickwork.random.randint: `{argument}` must be an integer. "
                             f"Received: {argument}={value!r}")
    low, high = int(minval), int(maxval)
    if high <= low:
        raise ValueError(f"brickwork.random.randint: `maxval` must be greater than `minval`. "
                         f"Received: minval={minval!r}, maxval={maxval!r}")
    info = np.iinfo(dtype)
    if low < info.min or high - 1 > info.max or low < -2**63 or high > 2**63:
        raise ValueError(f"brickwork.random.randint: the range [{low}, {high}) does not fit "
                         f"dtype={dtype!r} ([{info.min}, {info.max}]).")
    values = _generator("randint", seed).integers(low, high, shape)
    return ops.backend_xp().asarray(values).astype(dtype, copy=False)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draw samples from a Binomial distribution: the number of successes in
    ``counts`` trials that each succeed with probability ``probabilities``.

    Exact for any counts: counts above 16 are first brought down by Knuth's
    recursion on the order statistics of uniforms (The Art of Computer
    Programming, vol. 2, 3.4.1): of ``n`` uniforms, the ``a``-th smallest
    (``a = 1 + n // 2``) is ``X ~ Beta(a, n + 1 - a)`` (see :func:`beta`);
    if ``X < p``, those ``a`` are successes and the other ``n - a`` are
    uniform on ``(X, 1)``, each a success with probability
    ``(p - X) / (1 - X)``; otherwise the ``a - 1`` below ``X`` are uniform on
    ``(0, X)``, each a success with probability ``p / X``, and the rest are
    failures. Each step halves the count (``log2(counts / 16)`` steps); the
    remaining at most 16 trials are summed as Bernoulli draws.

    Args:
        shape: The shape of the random values to generate.
        counts: A whole number >= 0, or an array of them that broadcasts to
            ``shape``: the number of trials.
        probabilities: A float in [0, 1], or an array of them that broadcasts
            to ``shape``: the probability of success of each trial.
        dtype: Optional dtype of the result (floating point or integer);
            ``floatx()`` (``"float32"``) by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    xp = ops.backend_xp()
    shape = _shape("binomial", shape)
    dtype = _dtype("binomial", dtype, "fiu", floatx(), "a floating point or integer")
    counts = _param("binomial", "counts", counts, shape, _whole_nonnegative,
                    "a whole number >= 0")
    probabilities = _param("binomial", "probabilities", probabilities, shape, _probability,
                           "in [0, 1]")
    generator = _generator("binomial", seed)
    n = _full(counts, shape).astype("int64")
    p = _full(probabilities, shape)
    successes = xp.zeros(n.shape, dtype="int64")
    while True:
        big = xp.nonzero(n > _BERNOULLI_TRIALS)[0]
        if not big.size:
            break
        everywhere = big.size == n.size  # no gathering then
        nb, pb = (n, p) if everywhere else (n[big], p[big])
        a = 1 + nb // 2
        x = _standard_beta(generator, a.astype("float64"), (nb + 1 - a).astype("float64"))
        below = x < pb
        gained = xp.where(below, a, 0)
        left = xp.where(below, nb - a, a - 1)
        upper = (pb - x) / xp.where(below, 1.0 - x, 1.0)
        lower = pb / xp.where(x > 0, x, 1.0)
        chance = xp.clip(xp.where(below, upper, lower), 0.0, 1.0)
        if everywhere:
            successes, n, p = successes + gained, left, chance
        else:
            successes[big] += gained
            n[big] = left
            p[big] = chance
    trials = int(n.max()) if n.size else 0
    for k in range(trials):
        u = xp.asarray(generator.random(n.shape, "float64"))
        successes += ((u < p) & (k < n)).astype("int64")
    return successes.reshape(shape).astype(dtype, copy=False)


_BERNOULLI_TRIALS = 16


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws samples from categorical distributions, one per row of ``logits``.

    Each sample inverts the row's cumulative distribution
    ``cumsum(softmax(logits))`` (in float64) at a uniform draw, by a binary
    search done for all samples at once.

    Args:
        logits: 2-D array ``(batch_size, num_classes)``; each row holds the
            unnormalized log-probabilities of the classes (``-inf``: never).
        num_samples: Int >= 0, the number of independent samples per row.
        dtype: dtype of the result, ``"int32"`` by default.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).

    Returns:
        A ``(batch_size, num_samples)`` array of class indices.
    """
    xp = ops.backend_xp()
    data = ops.convert_to_tensor(ops.data_of(logits))
    if data.ndim != 2:
        raise ValueError(f"brickwork.random.categorical: `logits` should be a 2-D tensor with "
                         f"shape [batch_size, num_classes]. Received: logits of shape "
                         f"{tuple(data.shape)}")
    batch, classes = (int(d) for d in data.shape)
    if classes == 0:
        raise ValueError("brickwork.random.categorical: `logits` has no classes "
                         f"(shape {tuple(data.shape)}).")
    if not _is_int(num_samples) or num_samples < 0:
        raise ValueError(f"brickwork.random.categorical: `num_samples` must be an integer "
                         f">= 0. Received: num_samples={num_samples!r}")
    dtype = _dtype("categorical", dtype, "iuf", "int32", "an integer or floating point")
    generator = _generator("categorical", seed)
    shifted = data.astype("float64")
    shifted = shifted - xp.max(shifted, axis=-1, keepdims=True)
    cdf = xp.cumsum(xp.exp(shifted), axis=-1)
    cdf = cdf / cdf[:, -1:]  # the last entry is exactly 1, as are those of trailing zeros
    u = xp.asarray(generator.random((batch, int(num_samples)), "float64"))
    # The first class whose cumulative probability exceeds u, for every u at once.
    low = xp.zeros(u.shape, dtype="int64")
    high = xp.full(u.shape, classes - 1, dtype="int64")
    for _ in range((classes - 1).bit_length()):
        middle = (low + high) // 2
        right = xp.take_along_axis(cdf, middle, axis=1) <= u
        low = xp.where(right, middle + 1, low)
        high = xp.where(right, high, middle)
    return low.astype(dtype, copy=False)


# -- rearranging and masking arrays ---------------------------------------------------------


def shuffle(x, axis=0, seed=None):
    """Shuffle the elements of a tensor uniformly at random along an axis:
    one random permutation of the slices along ``axis`` (as JAX's and
    TensorFlow's backends do). Differentiable.

    Args:
        x: The tensor to be shuffled.
        axis: An integer specifying the axis along which to shuffle. Defaults to `0`.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    if not isinstance(x, (Tensor, Variable)):
        x = ops.convert_to_tensor(x)
    shape = ops.shape(x)
    if not shape:
        raise ValueError("brickwork.random.shuffle: `x` must have at least one dimension. "
                         "Received: a scalar")
    if not _is_int(axis) or not -len(shape) <= axis < len(shape):
        raise ValueError(f"brickwork.random.shuffle: `axis` must be an integer in "
                         f"[{-len(shape)}, {len(shape)}) for x of shape {shape}. "
                         f"Received: axis={axis!r}")
    axis = int(axis) % len(shape)
    permutation = ops.backend_xp().asarray(_generator("shuffle", seed).permutation(shape[axis]))
    return ops.take(x, permutation, axis=axis)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Inverted dropout: zero each entry with probability ``rate`` and scale
    the others by ``1 / (1 - rate)``. Differentiable.

    Args:
        inputs: The tensor to drop from (a non-float one is cast to ``floatx()``).
        rate: Float in [0, 1]: the probability of dropping each entry
            (1 gives zeros, 0 the inputs).
        noise_shape: Optional shape of the keep/drop mask, broadcast to the
            inputs' shape: each entry is the inputs' size or 1 (one draw
            shared along that axis); a None entry takes the inputs' size.
        seed: Optional int or :class:`SeedGenerator` (see the module doc).
    """
    if (not isinstance(rate, numbers.Real) or isinstance(rate, bool)
            or not 0 <= float(rate) <= 1):
        raise ValueError(f"brickwork.random.dropout: `rate` must be a float in [0, 1]. "
                         f"Received: rate={rate!r}")
    rate = float(rate)
    _check_seed("dropout", seed)
    x = inputs if isinstance(inputs, (Tensor, Variable)) else ops.convert_to_tensor(inputs)
    if np.dtype(ops.dtype_of(x)).kind != "f":
        x = ops.cast(x, floatx())
    shape = ops.shape(x)
    if noise_shape is None:
        noise_shape = shape
    else:
        wanted = tuple(noise_shape) if isinstance(noise_shape, (tuple, list)) else None
        if wanted is None or len(wanted) != len(shape) or not all(
                w is None or _is_int(w) and w in (1, size) for w, size in zip(wanted, shape)):
            raise ValueError(f"brickwork.random.dropout: `noise_shape` must have one entry per "
                             f"axis of the inputs ({shape}), each the inputs' size, 1 or None. "
                             f"Received: noise_shape={noise_shape!r}")
        noise_shape = tuple(size if w is None else int(w) for w, size in zip(wanted, shape))
    if rate == 0.0:
        return x
    if rate == 1.0:
        return ops.backend_xp().zeros(shape, dtype=ops.dtype_of(x))
    return ops.dropout(x, rate, noise_shape, _generator("dropout", seed))


# -- helpers ------------------------------------------------------------------------------


def _as(value, dtype):
    """A Python float as is (NumPy keeps the array's dtype); an array cast to ``dtype``."""
    return value if isinstance(value, float) else value.astype(dtype, copy=False)


def _show(value):
    return repr(value) if isinstance(value, float) else f"an array of shape {tuple(value.shape)}"
