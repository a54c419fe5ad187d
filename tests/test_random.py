"""``brickwork.random``: Keras' signatures (against ``fixtures/keras_random_signatures.json``),
seed semantics, dtypes and shapes, the distributions, and the errors.

Statistical checks use fixed seeds, so they are deterministic; their
tolerances are what a correct sampler passes with overwhelming probability:
means and variances within 5 standard errors (``_assert_moments``),
frequencies within 5 standard errors of the exact probabilities, and
two-sample Kolmogorov-Smirnov distances against NumPy's own samplers below
the 0.1% critical value ``1.95 * sqrt((n + m) / (n m))``.
"""
import inspect
import json
import math
import pathlib

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import brickwork as bw
from brickwork import backend, ops
from brickwork import random as bw_random
from brickwork.random import SeedGenerator

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_random_signatures.json")
                     .read_text())

N = 200_000  # samples for the moment checks


def numpy_of(x):
    return ops.convert_to_numpy(x)


def _assert_moments(samples, mean, variance, sigmas=5.0):
    """Sample mean and variance within ``sigmas`` standard errors of the true
    ones; the variance's standard error from the sample's fourth moment."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    n = x.size
    centered = x - x.mean()
    m2, m4 = np.mean(centered ** 2), np.mean(centered ** 4)
    assert abs(x.mean() - mean) <= sigmas * math.sqrt(variance / n), (x.mean(), mean)
    assert abs(m2 - variance) <= sigmas * math.sqrt(max(m4 - m2 ** 2, 0.0) / n) + 1e-12, \
        (m2, variance)


def _ks_distance(a, b):
    a, b = np.sort(np.asarray(a, np.float64).ravel()), np.sort(np.asarray(b, np.float64).ravel())
    points = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, points, side="right") / a.size
                         - np.searchsorted(b, points, side="right") / b.size))


def _assert_same_distribution(samples, reference):
    n, m = np.size(samples), np.size(reference)
    critical = 1.95 * math.sqrt((n + m) / (n * m))  # two-sample KS, alpha = 0.001
    assert _ks_distance(samples, reference) < critical


def _assert_frequencies(samples, probabilities, sigmas=5.0):
    """Each value k's frequency within ``sigmas`` standard errors of probabilities[k]."""
    samples = np.asarray(samples).reshape(-1).astype(np.int64)
    counts = np.bincount(samples, minlength=len(probabilities))
    assert counts.size == len(probabilities), "values out of range"
    frequencies = counts / samples.size
    for k, p in enumerate(probabilities):
        assert abs(frequencies[k] - p) <= sigmas * math.sqrt(p * (1 - p) / samples.size) + 1e-12, \
            (k, frequencies[k], p)


# -- the public names and their signatures, against Keras ---------------------------------


def test_the_public_names_are_those_of_keras_random():
    assert sorted(bw_random.__all__) == FIXTURE["names"]
    for name in FIXTURE["names"]:
        assert getattr(bw.random, name) is getattr(bw_random, name)


def _parameters(function, drop=()):
    return [{"name": p.name, "kind": p.kind.name,
             **({} if p.default is inspect.Parameter.empty else {"default": p.default})}
            for p in inspect.signature(function).parameters.values() if p.name not in drop]


@pytest.mark.parametrize("name", sorted(FIXTURE["signatures"]))
def test_signature_matches_keras(name):
    owner, _, method = name.partition(".")
    obj = getattr(bw_random, owner)
    function = getattr(obj, method) if method else obj
    assert _parameters(function, drop=("self",)) == FIXTURE["signatures"][name]


# -- seeds -----------------------------------------------------------------------------------

DRAWS = {
    "normal": lambda seed: bw_random.normal((3, 4), seed=seed),
    "uniform": lambda seed: bw_random.uniform((3, 4), seed=seed),
    "truncated_normal": lambda seed: bw_random.truncated_normal((3, 4), seed=seed),
    "randint": lambda seed: bw_random.randint((3, 4), 0, 1000, seed=seed),
    "shuffle": lambda seed: bw_random.shuffle(np.arange(50.0), seed=seed),
    "dropout": lambda seed: bw_random.dropout(np.ones((4, 8)), 0.5, seed=seed),
    "categorical": lambda seed: bw_random.categorical(np.zeros((2, 50)), 10, seed=seed),
    "gamma": lambda seed: bw_random.gamma((3, 4), 0.7, seed=seed),
    "binomial": lambda seed: bw_random.binomial((3, 4), 1000, 0.4, seed=seed),
    "beta": lambda seed: bw_random.beta((3, 4), 2.0, 0.5, seed=seed),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_an_int_seed_gives_the_same_values_on_every_call(name, backend_name):
    draw = DRAWS[name]
    first = numpy_of(draw(42))
    assert_array_equal(numpy_of(draw(42)), first)
    assert not np.array_equal(numpy_of(draw(43)), first)


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seed_generator_advances_and_replays_from_its_seed(name, backend_name):
    draw = DRAWS[name]
    generator = SeedGenerator(7)
    values = [numpy_of(draw(generator)) for _ in range(3)]
    assert not np.array_equal(values[0], values[1])
    assert not np.array_equal(values[1], values[2])
    replay = SeedGenerator(7)
    for expected in values:
        assert_array_equal(numpy_of(draw(replay)), expected)
    # As in Keras, an int seed is the state [seed, 0]: the first call of a generator.
    assert_array_equal(numpy_of(draw(7)), values[0])


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_set_random_seed_makes_unseeded_draws_repeat(name, backend_name):
    draw = DRAWS[name]
    bw.utils.set_random_seed(5)
    first = [numpy_of(draw(None)) for _ in range(2)]
    assert not np.array_equal(first[0], first[1])
    bw_random.set_random_seed(5)
    again = [numpy_of(draw(None)) for _ in range(2)]
    for a, b in zip(first, again):
        assert_array_equal(a, b)


def test_results_are_arrays_of_the_selected_backend(backend_name):
    array_type = type(ops.backend_xp().asarray(0.0))
    for draw in DRAWS.values():
        assert type(draw(1)) is array_type


def test_a_call_seeded_by_a_generator_does_not_depend_on_earlier_shapes():
    # Keras' counter semantics: call k draws from [seed, k], whatever came before.
    a, b = SeedGenerator(3), SeedGenerator(3)
    bw_random.normal((5,), seed=a)
    bw_random.normal((1000,), seed=b)
    assert_array_equal(bw_random.uniform((4,), seed=a), bw_random.uniform((4,), seed=b))


def test_seed_generator_state_next_and_config():
    generator = SeedGenerator(11)
    assert generator.name == "seed_generator"
    assert SeedGenerator(1).name == "seed_generator_1"
    assert_array_equal(generator.state, [11, 0])
    assert_array_equal(generator.next(), [11, 0])
    assert_array_equal(generator.next(), [11, 1])
    assert_array_equal(generator.state, [11, 2])
    generator.next(ordered=False)  # Keras' scramble of both entries
    assert_array_equal(generator.state, [12 * 5387 % 933199, 3 * 5387 % 933199])
    generator.state = [11, 1]
    replay = SeedGenerator(11)
    replay.next()
    assert_array_equal(bw_random.normal((3,), seed=generator), bw_random.normal((3,), seed=replay))

    assert generator.get_config() == {"seed": 11, "name": "seed_generator"}
    clone = SeedGenerator.from_config(generator.get_config())
    assert (clone.seed, clone.name) == (11, "seed_generator")
    assert_array_equal(bw_random.normal((3,), seed=clone), bw_random.normal((3,), seed=11))
    unseeded = SeedGenerator()
    assert unseeded.get_config()["seed"] is None and isinstance(unseeded.seed, int)


def test_seed_generator_backend_stream_is_unchanged():
    # Layers draw from backend_generator(): a stream seeded with `seed`,
    # independent of the counter that functions of this module advance.
    generator = SeedGenerator(21)
    bw_random.normal((4,), seed=generator)
    stream = generator.backend_generator()
    assert stream is generator.backend_generator()
    expected = backend.get_backend().kernels.random_generator(21).random((5,), "float32")
    assert_array_equal(numpy_of(stream.random((5,), "float32")), numpy_of(expected))


def test_unseeded_seed_generators_follow_the_global_seed():
    bw.utils.set_random_seed(9)
    first = SeedGenerator().seed
    bw.utils.set_random_seed(9)
    assert SeedGenerator().seed == first


# -- dtypes and shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("function, args", [
    (bw_random.normal, ()), (bw_random.uniform, ()), (bw_random.truncated_normal, ()),
    (bw_random.gamma, (1.5,)), (bw_random.beta, (2.0, 3.0)), (bw_random.binomial, (5, 0.5)),
])
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64"])
def test_float_results_take_floatx_or_the_dtype_asked_for(function, args, dtype, backend_name):
    for shape in [(2, 3), (), (0, 4), 5]:
        out = function(shape, *args, dtype=dtype, seed=1)
        assert out.dtype == np.dtype(dtype or "float32")
        assert out.shape == ((5,) if shape == 5 else shape)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_randint_dtypes_and_range(dtype):
    out = numpy_of(bw_random.randint((40, 50), -3 if dtype != "uint8" else 0, 4, dtype=dtype,
                                     seed=2))
    assert out.dtype == np.dtype(dtype)
    assert out.min() >= (-3 if dtype != "uint8" else 0) and out.max() <= 3
    assert numpy_of(bw_random.randint((2,), 0, 5, seed=1)).dtype == np.int32


def test_binomial_integer_dtype_and_categorical_dtype():
    assert bw_random.binomial((3,), 10, 0.5, dtype="int32", seed=0).dtype == np.int32
    assert bw_random.categorical(np.zeros((2, 3)), 4, seed=0).dtype == np.int32
    assert bw_random.categorical(np.zeros((2, 3)), 4, dtype="int64", seed=0).dtype == np.int64
    assert bw_random.categorical(np.zeros((2, 3)), 0, seed=0).shape == (2, 0)


# -- the distributions -------------------------------------------------------------------------


def test_normal_moments(backend_name):
    assert numpy_of(bw_random.normal((N,), seed=1)).std() == pytest.approx(1, abs=0.02)
    x = numpy_of(bw_random.normal((N,), mean=3.0, stddev=0.5, dtype="float64", seed=1))
    _assert_moments(x, 3.0, 0.25)
    # Array parameters broadcast to the shape.
    x = numpy_of(bw_random.normal((N // 2, 2), mean=[0.0, 10.0], stddev=[1.0, 2.0], seed=2))
    _assert_moments(x[:, 0], 0.0, 1.0)
    _assert_moments(x[:, 1], 10.0, 4.0)
    assert_array_equal(numpy_of(bw_random.normal((3,), 2.0, 0.0, seed=1)), [2.0, 2.0, 2.0])


def test_uniform_moments_and_bounds(backend_name):
    x = numpy_of(bw_random.uniform((N,), -2.0, 3.0, dtype="float64", seed=3))
    assert x.min() >= -2.0 and x.max() < 3.0
    _assert_moments(x, 0.5, 25 / 12)
    _assert_same_distribution(x, np.random.default_rng(0).uniform(-2, 3, N))
    # maxval stays excluded after rounding to float16, with array bounds too.
    h = numpy_of(bw_random.uniform((N,), 0.0, 1.0, dtype="float16", seed=4))
    assert h.max() < 1.0 and h.min() >= 0.0
    y = numpy_of(bw_random.uniform((N // 2, 2), [0.0, 5.0], [1.0, 6.0], seed=5))
    assert y[:, 0].max() < 1.0 and y[:, 1].min() >= 5.0 and y[:, 1].max() < 6.0
    _assert_moments(y[:, 1], 5.5, 1 / 12)


def _truncated_normal_cdf(x, low=-2.0, high=2.0):
    def phi(t):
        return 0.5 * (1 + math.erf(t / math.sqrt(2)))
    return (np.vectorize(phi)(np.clip(x, low, high)) - phi(low)) / (phi(high) - phi(low))


def test_truncated_normal_bounds_moments_and_cdf(backend_name):
    x = numpy_of(bw_random.truncated_normal((N,), mean=1.0, stddev=2.0, dtype="float64",
                                            seed=6))
    assert x.min() > 1.0 - 4.0 and x.max() < 1.0 + 4.0
    # Variance of N(0, 1) truncated to (-2, 2): 1 - 4 phi(2) / (Phi(2) - Phi(-2)).
    density_at_2 = math.exp(-2) / math.sqrt(2 * math.pi)
    variance = 1 - 4 * density_at_2 / math.erf(2 / math.sqrt(2))
    _assert_moments(x, 1.0, 4 * variance)
    # One-sample KS against the exact CDF (alpha = 0.001: 1.95 / sqrt(n)).
    z = np.sort((x - 1.0) / 2.0)
    cdf = _truncated_normal_cdf(z)
    steps = np.arange(1, z.size + 1) / z.size
    assert max(np.max(steps - cdf), np.max(cdf - (steps - 1 / z.size))) < 1.95 / math.sqrt(z.size)
    f = numpy_of(bw_random.truncated_normal((1000, 100), seed=7))
    assert f.dtype == np.float32 and np.abs(f).max() <= 2.0


@pytest.mark.parametrize("alpha", [0.2, 1.0, 3.5, 40.0])
def test_gamma_moments_and_distribution(alpha):
    x = numpy_of(bw_random.gamma((N,), alpha, dtype="float64", seed=8))
    assert x.min() > 0
    _assert_moments(x, alpha, alpha)
    _assert_same_distribution(x, np.random.default_rng(1).gamma(alpha, size=N))


def test_gamma_array_alpha_and_tiny_alpha(backend_name):
    alpha = np.array([0.5, 2.0, 7.0])
    x = numpy_of(bw_random.gamma((N // 4, 3), alpha, seed=9))
    for k, a in enumerate(alpha):
        _assert_moments(x[:, k], a, a)
    # As in Keras' tests: strictly positive, even in float16.
    assert numpy_of(bw_random.gamma((5, 2), 2.0, dtype="float16", seed=10)).min() > 0
    assert numpy_of(bw_random.gamma((2, 3), 0.5, seed=10)).min() > 0
    # Tiny alpha: computed in log space, no NaN (values may underflow to 0).
    tiny = numpy_of(bw_random.gamma((1000,), 0.01, dtype="float64", seed=11))
    assert np.all(np.isfinite(tiny)) and tiny.min() >= 0


@pytest.mark.parametrize("a, b", [(0.5, 2.0), (2.0, 3.0), (0.3, 0.3), (60.0, 1.5)])
def test_beta_moments_and_distribution(a, b):
    x = numpy_of(bw_random.beta((N,), a, b, dtype="float64", seed=12))
    assert x.min() >= 0 and x.max() <= 1
    _assert_moments(x, a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1)))
    _assert_same_distribution(x, np.random.default_rng(2).beta(a, b, size=N))


def test_beta_small_parameters_stay_in_the_unit_interval(backend_name):
    x = numpy_of(bw_random.beta((10_000,), 0.01, 0.02, dtype="float64", seed=13))
    assert np.all(np.isfinite(x)) and x.min() >= 0 and x.max() <= 1
    # Array parameters broadcast to the shape.
    y = numpy_of(bw_random.beta((N // 2, 2), [1.0, 5.0], 2.0, seed=14))
    _assert_moments(y[:, 0], 1 / 3, 2 / 36)
    _assert_moments(y[:, 1], 5 / 7, 10 / (49 * 8))


def _binomial_pmf(n, p):
    k = np.arange(n + 1)
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                        for i in k]) + k * math.log(p) + (n - k) * math.log1p(-p)
    return np.exp(log_pmf)


@pytest.mark.parametrize("n, p", [(1, 0.3), (7, 0.5), (16, 0.9), (17, 0.2), (1000, 0.3),
                                  (100_000, 0.01)])
def test_binomial_matches_the_exact_probabilities(n, p):
    # Counts up to 16 are Bernoulli sums; above, Knuth's halving recursion.
    x = numpy_of(bw_random.binomial((N,), n, p, dtype="int64", seed=15))
    assert x.min() >= 0 and x.max() <= n
    _assert_moments(x, n * p, n * p * (1 - p))
    pmf = _binomial_pmf(n, p)
    likely = np.nonzero(pmf > 1e-3)[0]
    counts = np.bincount(x, minlength=n + 1)
    for k in likely:
        se = math.sqrt(pmf[k] * (1 - pmf[k]) / N)
        assert abs(counts[k] / N - pmf[k]) <= 5 * se, (k, counts[k] / N, pmf[k])


def test_binomial_array_parameters_and_edges(backend_name):
    counts = np.array([0.0, 5.0, 40.0, 40.0, 300.0])
    probabilities = np.array([0.5, 0.0, 1.0, 0.25, 0.5])
    x = numpy_of(bw_random.binomial((N // 10, 5), counts, probabilities, seed=16))
    assert_array_equal(x[:, 0], 0)
    assert_array_equal(x[:, 1], 0)
    assert_array_equal(x[:, 2], 40)
    _assert_moments(x[:, 3], 10.0, 7.5)
    _assert_moments(x[:, 4], 150.0, 75.0)
    # Parameters of exactly the shape, some counts above the Bernoulli limit and some below.
    counts = np.tile([3.0, 100.0, 5.0, 1000.0], N // 4)
    x = numpy_of(bw_random.binomial((N,), counts, np.full(N, 0.5), seed=17)).reshape(-1, 4)
    for k, n in enumerate([3, 100, 5, 1000]):
        _assert_moments(x[:, k], n / 2, n / 4)


def test_randint_frequencies(backend_name):
    x = numpy_of(bw_random.randint((N,), -2, 5, seed=17))
    assert x.min() == -2 and x.max() == 4
    _assert_frequencies(x + 2, [1 / 7] * 7)


def test_categorical_frequencies(backend_name):
    probabilities = np.array([[0.1, 0.2, 0.3, 0.4, 0.0], [0.0, 0.0, 0.0, 0.5, 0.5]])
    with np.errstate(divide="ignore"):
        logits = np.log(probabilities) + 3.0  # unnormalized; -inf is never drawn
    x = numpy_of(bw_random.categorical(logits, N // 2, seed=18))
    assert x.shape == (2, N // 2)
    for row, expected in zip(x, probabilities):
        _assert_frequencies(row, expected)
    # Many classes: the binary search against NumPy's sampler.
    many = np.random.default_rng(3).normal(size=(1, 1000)) * 2
    drawn = numpy_of(bw_random.categorical(many, N // 4, seed=19))[0]
    softmax = np.exp(many[0] - many.max()) / np.exp(many[0] - many.max()).sum()
    reference = np.random.default_rng(4).choice(1000, size=N // 4, p=softmax)
    _assert_same_distribution(drawn, reference)
    one_class = numpy_of(bw_random.categorical([[0.3]], 5, seed=1))
    assert_array_equal(one_class, [[0, 0, 0, 0, 0]])


def test_shuffle_permutes_whole_slices(backend_name):
    x = np.arange(60.0).reshape(6, 10)
    y = numpy_of(bw_random.shuffle(x, seed=20))
    assert not np.array_equal(y, x)
    assert_array_equal(np.sort(y[:, 0]), x[:, 0])
    assert_array_equal(y - y[:, :1], x - x[:, :1])  # rows moved whole
    z = numpy_of(bw_random.shuffle(x, axis=-1, seed=20))
    assert_array_equal(np.sort(z, axis=1), x)
    assert_array_equal(z - z[:1], x - x[:1])  # columns moved whole
    # Each position equally likely: over many shuffles of 4 items, item 0's place.
    generator = SeedGenerator(21)
    places = [int(np.argmin(numpy_of(bw_random.shuffle(np.arange(4), seed=generator))))
              for _ in range(4000)]
    _assert_frequencies(places, [0.25] * 4)


def test_dropout_rate_scale_and_noise_shape(backend_name):
    x = np.ones((400, 500))
    y = numpy_of(bw_random.dropout(x, 0.3, seed=22))
    assert y.dtype == np.float64 and set(np.unique(y)) == {0.0, 1 / 0.7}
    kept = np.mean(y > 0)
    assert abs(kept - 0.7) <= 5 * math.sqrt(0.21 / y.size)
    shared = numpy_of(bw_random.dropout(x, 0.5, noise_shape=(None, 1), seed=22))
    assert np.all(shared == shared[:, :1])
    assert 0 < np.mean(shared[:, 0] > 0) < 1
    assert_array_equal(numpy_of(bw_random.dropout(x, 0.0, seed=1)), x)
    assert_array_equal(numpy_of(bw_random.dropout(x, 1.0, seed=1)), np.zeros_like(x))
    assert bw_random.dropout(np.ones(3, "int32"), 0.5, seed=1).dtype == np.float32


def test_dropout_and_shuffle_are_differentiable():
    x = np.random.default_rng(5).normal(size=(6, 4))
    x_var = bw.Variable(x, trainable=True)
    with bw.GradientTape() as tape:
        loss = ops.sum(bw_random.dropout(x_var, 0.5, seed=23))
    mask = numpy_of(bw_random.dropout(np.ones_like(x), 0.5, seed=23))
    assert_allclose(numpy_of(tape.gradient(loss, x_var)), mask)
    weights = np.arange(24.0).reshape(6, 4)
    with bw.GradientTape() as tape:
        loss = ops.sum(ops.multiply(bw_random.shuffle(x_var, seed=24), weights))
    order = numpy_of(bw_random.shuffle(np.arange(6), seed=24)).astype(int)
    expected = np.empty_like(weights)
    expected[order] = weights
    assert_allclose(numpy_of(tape.gradient(loss, x_var)), expected)


# -- errors ---------------------------------------------------------------------------------

ERRORS = [
    (lambda: bw_random.normal((2,), stddev=-1.0), r"normal: `stddev` must be non-negative. "
                                                  r"Received: stddev=-1.0"),
    (lambda: bw_random.normal((2,), stddev=[1.0, -0.5]), r"normal: `stddev`.*holding -0.5"),
    (lambda: bw_random.normal((2,), mean=np.zeros(3)), r"normal: `mean` of shape \(3,\) does "
                                                       r"not broadcast to shape=\(2,\)"),
    (lambda: bw_random.normal((2, -1)), r"normal: `shape` must be a tuple of non-negative "
                                        r"integers. Received: shape=\(2, -1\)"),
    (lambda: bw_random.normal((2.5,)), r"normal: `shape`.*shape=\(2.5,\)"),
    (lambda: bw_random.normal(None), r"normal: `shape`.*shape=None"),
    (lambda: bw_random.normal((2,), dtype="int32"), r"normal requires a floating point "
                                                    r"`dtype`. Received: dtype='int32'"),
    (lambda: bw_random.normal((2,), dtype="nonsense"), r"normal.*dtype='nonsense'"),
    (lambda: bw_random.normal((2,), seed="abc"), r"normal: `seed` must be an integer, a "
                                                 r"brickwork.random.SeedGenerator or None. "
                                                 r"Received: seed='abc'"),
    (lambda: bw_random.normal((2,), seed=1.5), r"normal: `seed`.*seed=1.5"),
    (lambda: bw_random.uniform((2,), 1.0, 1.0), r"uniform: `maxval` must be greater than "
                                                r"`minval`. Received: minval=1.0, maxval=1.0"),
    (lambda: bw_random.uniform((2,), 2.0, 1.0), r"uniform: `maxval` must be greater"),
    (lambda: bw_random.uniform((2,), [0.0, 2.0], 1.0), r"uniform: `maxval` must be greater"),
    (lambda: bw_random.uniform((2,), 0.0, float("inf")), r"uniform: `maxval` must be finite"),
    (lambda: bw_random.uniform((2,), dtype="int32"), r"uniform requires a floating point"),
    (lambda: bw_random.truncated_normal((2,), stddev=-2.0), r"truncated_normal: `stddev` must "
                                                            r"be non-negative"),
    (lambda: bw_random.randint((2,), 5, 5), r"randint: `maxval` must be greater than "
                                            r"`minval`. Received: minval=5, maxval=5"),
    (lambda: bw_random.randint((2,), 0, 1.5), r"randint: `maxval` must be an integer. "
                                              r"Received: maxval=1.5"),
    (lambda: bw_random.randint((2,), 0, 5, dtype="float32"), r"randint requires an integer "
                                                             r"`dtype`. Received: dtype='float32'"),
    (lambda: bw_random.randint((2,), 0, 300, dtype="uint8"), r"randint: the range \[0, 300\) "
                                                             r"does not fit dtype='uint8'"),
    (lambda: bw_random.gamma((2,), 0.0), r"gamma: `alpha` must be positive and finite. "
                                         r"Received: alpha=0.0"),
    (lambda: bw_random.gamma((2,), [1.0, -1.0]), r"gamma: `alpha`.*holding -1.0"),
    (lambda: bw_random.gamma((2,), float("nan")), r"gamma: `alpha` must be positive"),
    (lambda: bw_random.beta((2,), 1.0, -2.0), r"beta: `beta` must be positive and finite. "
                                              r"Received: beta=-2.0"),
    (lambda: bw_random.beta((2,), "a", 1.0), r"beta: `alpha` must be a number or an array"),
    (lambda: bw_random.binomial((2,), -1, 0.5), r"binomial: `counts` must be a whole number "
                                                r">= 0. Received: counts=-1.0"),
    (lambda: bw_random.binomial((2,), 2.5, 0.5), r"binomial: `counts`.*counts=2.5"),
    (lambda: bw_random.binomial((2,), 3, 1.5), r"binomial: `probabilities` must be in \[0, 1\]. "
                                               r"Received: probabilities=1.5"),
    (lambda: bw_random.binomial((2,), 3, 0.5, dtype="bool"), r"binomial requires a floating "
                                                              r"point or integer `dtype`"),
    (lambda: bw_random.categorical(np.zeros(3), 2), r"categorical: `logits` should be a 2-D "
                                                    r"tensor.*shape \(3,\)"),
    (lambda: bw_random.categorical(np.zeros((2, 0)), 2), r"categorical: `logits` has no "
                                                         r"classes"),
    (lambda: bw_random.categorical(np.zeros((2, 3)), -1), r"categorical: `num_samples` must "
                                                          r"be an integer >= 0. Received: "
                                                          r"num_samples=-1"),
    (lambda: bw_random.shuffle(np.zeros((2, 3)), axis=2), r"shuffle: `axis` must be an integer "
                                                          r"in \[-2, 2\).*Received: axis=2"),
    (lambda: bw_random.shuffle(np.float32(1.0)), r"shuffle: `x` must have at least one "
                                                 r"dimension"),
    (lambda: bw_random.dropout(np.ones(3), 1.5), r"dropout: `rate` must be a float in \[0, 1\]. "
                                                 r"Received: rate=1.5"),
    (lambda: bw_random.dropout(np.ones((2, 3)), 0.5, noise_shape=(2, 2)),
     r"dropout: `noise_shape` must have one entry per axis.*noise_shape=\(2, 2\)"),
    (lambda: bw_random.dropout(np.ones((2, 3)), 0.5, seed="x"), r"dropout: `seed`"),
    (lambda: SeedGenerator("7"), r"Argument `seed` must be an integer. Received: seed='7'"),
    (lambda: SeedGenerator(1, unknown=2), r"Unrecognized keyword arguments"),
    (lambda: bw_random.set_random_seed(1.5), r"Expected `seed` argument to be an integer"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_invalid_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
