"""The function-style names of initializers, regularizers and constraints
(``he_normal``, ``l1_l2``, ``max_norm``, ...), the STFT initializer's values
against Keras 3 (fixtures/make_keras_api_more.py), and every public name's
signature against the committed Keras listing."""
import inspect
import json
import pathlib

import numpy as np
import pytest

from brickwork import constraints, initializers, regularizers

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REF = json.loads((FIXTURES / "keras_api_more.json").read_text())
ARR = np.load(FIXTURES / "keras_api_more.npz")
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]
MODULES = {"initializers": initializers, "regularizers": regularizers,
           "constraints": constraints}


def _signature(obj):
    return [[p.name, p.kind.name,
             None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in inspect.signature(obj).parameters.values()]


@pytest.mark.parametrize("module,name", [(m, n) for m in MODULES for n in LISTING[m]])
def test_every_keras_name_exists_with_keras_signature(module, name):
    obj = getattr(MODULES[module], name)
    if LISTING[module][name]["kind"] == "class":
        assert isinstance(obj, type)
    expected = LISTING[module][name]["parameters"]
    # The listing shows ``(*args, **kwargs)`` for a class without an __init__
    # of its own (object's, on that Python): one that takes no arguments.
    no_arguments = [["args", "VAR_POSITIONAL", None], ["kwargs", "VAR_KEYWORD", None]]
    if expected == no_arguments:
        assert _signature(obj) in ([], expected)
    else:
        assert _signature(obj) == expected


@pytest.mark.parametrize("module", sorted(MODULES))
def test_aliases_name_the_same_classes_as_keras(module):
    for alias, class_name in REF["initializers"]["aliases"][module].items():
        assert getattr(MODULES[module], alias).__name__ == class_name, alias


def test_aliases_are_usable():
    assert initializers.he_normal(seed=1)((3, 4)).shape == (3, 4)
    np.testing.assert_array_equal(initializers.he_normal(seed=3)((5, 2)),
                                  initializers.HeNormal(seed=3)((5, 2)))
    np.testing.assert_array_equal(initializers.constant(2.0)((2,)), [2.0, 2.0])
    np.testing.assert_array_equal(initializers.identity()((2, 2)), np.eye(2))
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert regularizers.l1_l2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert isinstance(regularizers.orthogonal_regularizer(), regularizers.OrthogonalRegularizer)
    w = np.array([[3.0, 0.0], [4.0, 0.1]], "float32")
    np.testing.assert_allclose(constraints.max_norm(1.0)(w), constraints.MaxNorm(1.0)(w))
    np.testing.assert_array_equal(constraints.non_neg()(np.array([-1.0, 2.0])), [0.0, 2.0])
    np.testing.assert_allclose(np.linalg.norm(constraints.unit_norm()(w), axis=0), [1.0, 1.0],
                               rtol=1e-6)
    assert constraints.min_max_norm(0.5, 2.0).get_config()["max_value"] == 2.0


@pytest.mark.parametrize("case", sorted(REF["initializers"]["stft"]))
def test_stft_matches_keras(case):
    spec = REF["initializers"]["stft"][case]
    init = initializers.STFT(**spec["kwargs"])
    values = init(tuple(spec["shape"]))
    assert values.dtype == np.float32
    np.testing.assert_allclose(values, ARR[f"stft/{case}"], rtol=1e-5, atol=1e-6)
    assert init.get_config() == spec["config"]
    again = initializers.deserialize(initializers.serialize(init))
    np.testing.assert_array_equal(again(tuple(spec["shape"])), values)


def test_stft_argument_errors():
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling"):
        initializers.STFT(scaling="l3")
    with pytest.raises(ValueError, match="frame_length"):
        initializers.STFT(window=[1.0, 2.0])((4, 1, 3))
    assert initializers.get("STFTInitializer").__class__ is initializers.STFT
