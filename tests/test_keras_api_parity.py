"""brickwork has Keras 3's public API: every name, with Keras's parameters.

The reference is ``tests/fixtures/keras_public_api.json``, generated once from
Keras 3.15 by ``tests/fixtures/make_keras_public_api.py``. For each module in
scope, every public name must exist in the brickwork module of the same
path, unless it is in ``EXCLUDED`` below with its reason. For every callable,
Keras's parameters must come first, in Keras's order, with Keras's names,
kinds and defaults; brickwork may add parameters after them only when each
has a default (so that every Keras call still works), and may leave out a
trailing ``**kwargs`` (Keras uses it for backend-specific options).

``layers`` is issue 17's (every Keras layer), and is checked there.
"""
import importlib
import inspect
import json
import pathlib

import pytest

LISTING = json.loads((pathlib.Path(__file__).parent / "fixtures" / "keras_public_api.json")
                     .read_text())
MODULES = ["keras", "activations", "backend", "callbacks", "config", "constraints",
           "distribution", "dtype_policies", "initializers", "losses", "metrics",
           "mixed_precision", "models",
           "ops", "ops.image", "ops.linalg", "ops.nn", "ops.numpy", "optimizers",
           "optimizers.schedules", "random", "regularizers", "saving", "tree", "utils",
           "visualization"]

_JAX_ONLY = "bound to JAX (Flax NNX, Orbax, JAX's tracing scopes)"
_QUANTIZATION = "quantization: out of scope (issue 16 excludes it)"
EXCLUDED = {
    "callbacks.OrbaxCheckpoint": _JAX_ONLY,
    "config.is_nnx_enabled": _JAX_ONLY,
    "keras.StatelessScope": _JAX_ONLY,
    "keras.SymbolicScope": _JAX_ONLY,
    "keras.Quantizer": _QUANTIZATION,
    "keras.quantizers": _QUANTIZATION,
    **{f"dtype_policies.{name}": _QUANTIZATION for name in (
        "AWQDTypePolicy", "GPTQDTypePolicy", "Int4DTypePolicy", "QuantizedDTypePolicy",
        "QuantizedFloat8DTypePolicy")},
    "keras.RematScope": "rematerialization: issue 22 (peak memory of a train step)",
    "keras.remat": "rematerialization: issue 22 (peak memory of a train step)",
    "keras.preprocessing": "issue 17 (preprocessing layers and their legacy utilities)",
    "utils.FeatureSpace": "issue 17 (it is built of preprocessing layers)",
    "utils.bounding_boxes": "issue 17 (the bounding-box augmentation layers use it)",
    "saving.KerasFileEditor": "issue 17 (reading and editing model files)",
    "distribution.ModelParallel": "model parallelism: issue 20 is data parallelism",
    "distribution.LayoutMap": "model parallelism (variable layouts): issue 20 is data "
                              "parallelism",
    "keras.datasets": "downloads data sets from the internet: not in issue 16's scope",
    "keras.distillation": "not in issue 16's scope (Keras 3.15's distillation API)",
    "keras.wrappers": "not in issue 16's scope (scikit-learn wrappers)",
    "keras.legacy": "TensorFlow-era API (tf.keras 2 objects)",
    "utils.legacy": "TensorFlow-era API (tf.keras 2 objects)",
    "keras.src": "Keras's private implementation package",
}


def brickwork_module(path):
    return importlib.import_module("brickwork" if path == "keras" else f"brickwork.{path}")


def in_scope(path):
    return [(name, description) for name, description in LISTING["modules"][path].items()
            if f"{path}.{name}" not in EXCLUDED]


def parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.kind.name, None if p.default is p.empty else repr(p.default))
            for p in signature.parameters.values()
            if not (inspect.isclass(obj) and p.name == "self")]


def signature_problems(keras_parameters, ours):
    """What breaks a Keras call of this callable, or differs from Keras."""
    keras_parameters = [tuple(p) for p in keras_parameters]
    if keras_parameters and keras_parameters[-1][1] == "VAR_KEYWORD" and \
            not any(kind == "VAR_KEYWORD" for _, kind, _ in ours):
        keras_parameters = keras_parameters[:-1]
    head, extra = ours[:len(keras_parameters)], ours[len(keras_parameters):]
    problems = []
    if head != keras_parameters:
        problems.append(f"Keras: {keras_parameters}; brickwork: {ours}")
    without_default = [name for name, kind, default in extra
                       if default is None and kind not in ("VAR_POSITIONAL", "VAR_KEYWORD")]
    if without_default:
        problems.append(f"added parameters without a default: {without_default}")
    return problems


def test_every_exclusion_names_a_keras_name_brickwork_lacks():
    """An exclusion that Keras does not have, or that brickwork now has, goes."""
    stale = []
    for key in EXCLUDED:
        path, _, name = key.rpartition(".")
        if name not in LISTING["modules"][path] or hasattr(brickwork_module(path), name):
            stale.append(key)
    assert not stale


@pytest.mark.parametrize("path", MODULES)
def test_every_public_name_exists(path):
    module = brickwork_module(path)
    missing = [name for name, _ in in_scope(path) if not hasattr(module, name)]
    assert not missing, f"brickwork.{path} lacks Keras's {missing}"


@pytest.mark.parametrize("path", MODULES)
def test_parameters_follow_keras(path):
    module = brickwork_module(path)
    problems = {}
    for name, description in in_scope(path):
        if description.get("parameters") is None or not hasattr(module, name):
            continue
        ours = parameters(getattr(module, name))
        if ours is None:
            continue
        found = signature_problems(description["parameters"], ours)
        if found:
            problems[name] = found
    assert not problems, "\n".join(f"{path}.{name}: {'; '.join(p)}" for name, p in problems.items())


def test_the_check_catches_what_breaks_a_keras_call():
    keras = [["x", "POSITIONAL_OR_KEYWORD", None], ["axis", "POSITIONAL_OR_KEYWORD", "-1"]]
    assert not signature_problems(keras, [("x", "POSITIONAL_OR_KEYWORD", None),
                                          ("axis", "POSITIONAL_OR_KEYWORD", "-1"),
                                          ("bias", "KEYWORD_ONLY", "None")])
    assert signature_problems(keras, [("axis", "POSITIONAL_OR_KEYWORD", "-1"),
                                      ("x", "POSITIONAL_OR_KEYWORD", None)])
    assert signature_problems(keras, [("x", "POSITIONAL_OR_KEYWORD", None),
                                      ("axis", "POSITIONAL_OR_KEYWORD", "0")])
    assert signature_problems(keras, [("x", "POSITIONAL_OR_KEYWORD", None),
                                      ("axis", "POSITIONAL_OR_KEYWORD", "-1"),
                                      ("extra", "POSITIONAL_OR_KEYWORD", None)])
