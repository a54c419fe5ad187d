"""Helpers for layer tests: Keras reference cases from the fixtures, and
gradient checks of a whole layer (inputs and weights) by central finite
differences in float64."""
from __future__ import annotations

import json
import pathlib

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from brickwork import GradientTape, Variable, ops

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_CACHE = {}


def keras_reference():
    """``(cases, configs, arrays)`` from ``keras_layers_more.{json,npz}``."""
    if not _CACHE:
        meta = json.loads((FIXTURES / "keras_layers_more.json").read_text())
        with np.load(FIXTURES / "keras_layers_more.npz") as data:
            _CACHE["arrays"] = {k: data[k] for k in data.files}
        _CACHE["cases"], _CACHE["configs"] = meta["cases"], meta["configs"]
    return _CACHE["cases"], _CACHE["configs"], _CACHE["arrays"]


def case_arrays(name, kind, count):
    arrays = keras_reference()[2]
    return [arrays[f"{name}/{kind}/{i}"] for i in range(count)]


def as_json(config):
    """A config as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(config))


def assert_config_matches_keras(layer, key):
    """``layer.get_config()`` equals Keras' config for ``key``, up to the
    auto-generated name (Keras' counters saw other layers first)."""
    ours = as_json(layer.get_config())
    keras = dict(keras_reference()[1][key])
    ours.pop("name"), keras.pop("name")
    assert ours == keras


def numpy_of(value):
    return ops.convert_to_numpy(value)


def gradients(layer, inputs, probe, call):
    """Gradients of ``sum(call(layer, *inputs) * probe)`` with respect to the
    inputs and the layer's trainable weights (float64 Variables for inputs)."""
    sources = [Variable(np.asarray(x, np.float64)) for x in inputs]
    with GradientTape() as tape:
        out = call(layer, *sources)
        out = out[0] if isinstance(out, tuple) else out
        loss = ops.sum(ops.multiply(out, probe))
    grads = tape.gradient(loss, sources + list(layer.trainable_weights))
    return [None if g is None else numpy_of(g) for g in grads]


def check_layer_gradients(layer, inputs, rng, call=lambda layer, *xs: layer(*xs),
                          tol=dict(rtol=1e-6, atol=1e-8)):
    """Compare tape gradients of a float64 ``layer`` with finite differences,
    for every input and every trainable weight."""
    inputs = [np.asarray(x, np.float64) for x in inputs]
    first = call(layer, *inputs)
    first = first[0] if isinstance(first, tuple) else first
    probe = rng.normal(size=ops.shape(first))
    weights = list(layer.trainable_weights)

    def forward(*values):
        xs, ws = values[:len(inputs)], values[len(inputs):]
        for variable, w in zip(weights, ws):
            variable.assign(w)
        out = call(layer, *xs)
        return numpy_of(out[0] if isinstance(out, tuple) else out)
    initial = [numpy_of(w).astype(np.float64) for w in weights]
    expected = ref.numerical_vjp(forward, inputs + initial, probe)
    for variable, w in zip(weights, initial):
        variable.assign(w)
    got = gradients(layer, inputs, probe, call)
    names = [f"input {i}" for i in range(len(inputs))] + [w.path for w in weights]
    for name, g, want in zip(names, got, expected):
        if g is None:
            assert not np.any(want), f"{name}: no gradient, finite differences say {want}"
            continue
        assert_allclose(g, want, **tol, err_msg=name)
