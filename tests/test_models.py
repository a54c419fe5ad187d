"""Sequential, functional and subclassed models: building, calling, summary, configs."""
import io
import json
import pathlib
import re

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, ops

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def keras_summary_block(title):
    """The verbatim print_fn text of one block of keras_summary.txt."""
    text = (FIXTURES / "keras_summary.txt").read_text()
    start = text.index(f"===== {title}")
    body = text[text.index("\n", start) + 1:]
    return body[:body.index("=====")]


def seed_sequential():
    return bw.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                          layers.Dense(3, activation="softmax")])


def two_io_model():
    a = bw.Input((4,), name="a")
    b = bw.Input((3,), name="b")
    joined = layers.Dense(7, name="concat")(a)  # stands in for Concatenate in shape
    hidden = layers.Dense(8, name="hidden", activation="relu")(joined)
    return bw.Model([a, b], [layers.Dense(2, name="out1")(hidden),
                             layers.Dense(1, name="out2")(layers.Dense(3)(b))], name="two_io")


# -- Sequential ------------------------------------------------------------


def test_sequential_summary_equals_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    printed = []
    seed_sequential().summary(print_fn=printed.append)
    expected = keras_summary_block("sequential: summary(print_fn=f), COLUMNS=80")
    assert printed == [expected]


def test_sequential_summary_wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    printed = []
    seed_sequential().summary(print_fn=printed.append)
    assert printed == [keras_summary_block("sequential: summary(print_fn=f), COLUMNS=200")]


def test_sequential_add_pop_and_input_shape_argument():
    model = bw.Sequential()
    model.add(layers.Dense(4, input_shape=(3,)))
    assert model.built and model.output_shape == (None, 4) if hasattr(model, "output_shape") else True
    model.add(layers.Dense(2))
    assert [l.units for l in model.layers] == [4, 2]
    assert ops.shape(model(np.zeros((5, 3), "float32"))) == (5, 2)
    popped = model.pop()
    assert popped.units == 2 and len(model.layers) == 1
    assert ops.shape(model(np.zeros((5, 3), "float32"))) == (5, 4)
    with pytest.raises(TypeError, match="no layers"):
        bw.Sequential().pop()


def test_sequential_deferred_build_on_first_call():
    model = bw.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    model(np.ones((2, 6), "float32"))
    assert model.built and model.layers[0].kernel.shape == (6, 4)
    assert model.count_params() == 6 * 4 + 4 + 4 + 1


def test_sequential_rejects_duplicate_names_and_non_layers():
    model = bw.Sequential([layers.Dense(2, name="x")])
    with pytest.raises(ValueError, match="unique names.*'x'"):
        model.add(layers.Dense(3, name="x"))
    with pytest.raises(ValueError, match="Only instances of brickwork Layer"):
        model.add("dense")


def test_sequential_config_round_trip_equals_keras_shape():
    model = seed_sequential()
    config = model.get_config()
    keras_config = json.loads((FIXTURES / "keras_configs.json").read_text())["sequential"]
    assert config == keras_config
    clone = bw.Sequential.from_config(config)
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


# -- functional ------------------------------------------------------------


def test_functional_several_inputs_and_outputs():
    model = two_io_model()
    assert [t.shape for t in model.outputs] == [(None, 2), (None, 1)]
    out1, out2 = model.predict([np.ones((5, 4)), np.ones((5, 3))], verbose=0)
    assert out1.shape == (5, 2) and out2.shape == (5, 1)
    by_name = model.predict({"a": np.ones((5, 4)), "b": np.ones((5, 3))}, verbose=0)
    np.testing.assert_allclose(by_name[0], out1)


def test_functional_input_shape_mismatch_names_model_and_shapes():
    model = two_io_model()
    with pytest.raises(ValueError, match=r"Input 1 \('b'\).*two_io.*\(None, 3\).*\(5, 4\)"):
        model.predict([np.ones((5, 4)), np.ones((5, 4))], verbose=0)
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict([np.ones((5, 4))], verbose=0)


def test_functional_graph_disconnected():
    a, b = bw.Input((2,)), bw.Input((2,))
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        bw.Model(a, out)


def test_functional_shared_layer_and_config_round_trip():
    a, b = bw.Input((4,), name="left"), bw.Input((4,), name="right")
    shared = layers.Dense(3, name="shared")
    model = bw.Model([a, b], [shared(a), shared(b)])
    assert len([l for l in model.layers if l.name == "shared"]) == 1
    config = model.get_config()
    assert config["input_layers"] == [["left", 0, 0], ["right", 0, 0]]
    assert [len(l["inbound_nodes"]) for l in config["layers"]] == [0, 0, 2]
    clone = bw.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 4)), np.arange(8.0).reshape(2, 4)]
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_allclose(got, want)


def test_functional_summary_lists_connections():
    out = io.StringIO()
    two_io_model().summary(print_fn=out.write, line_length=108)
    text = out.getvalue()
    assert "Connected to" in text
    assert re.search(r"hidden \(Dense\).*concat\[0\]\[0\]", text)
    assert "a (InputLayer)" in text


def test_nested_model_as_a_layer():
    inner = bw.Sequential([layers.Input((3,)), layers.Dense(2)], name="inner")
    x = bw.Input((3,))
    outer = bw.Model(x, layers.Dense(1)(inner(x)))
    assert outer.get_layer("inner") is inner
    assert len(outer.trainable_weights) == 4
    assert outer.predict(np.ones((2, 3)), verbose=0).shape == (2, 1)


def test_get_layer_errors():
    model = seed_sequential()
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="not both"):
        model.get_layer("dense", 0)


def test_json_round_trip():
    model = seed_sequential()
    clone = bw.models.model_from_json(model.to_json())
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert clone.count_params() == model.count_params()


# -- subclassing -----------------------------------------------------------


class TwoLayer(bw.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(2)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))


def test_subclassed_model_tracks_sublayers_and_weights():
    model = TwoLayer()
    y = model(np.ones((3, 5), "float32"))
    assert ops.shape(y) == (3, 2)
    assert [w.shape for w in model.weights] == [(5, 8), (8,), (8, 2), (2,)]
    assert model.layers == [model.hidden, model.out]
    assert model.name == "two_layer"


def test_functional_layer_order_follows_keras_map_graph():
    # b feeds a deeper chain than a, and an unused input is still listed.
    a, b, unused = bw.Input((3,), name="a"), bw.Input((3,), name="b"), bw.Input((2,), name="u")
    deep = layers.Dense(3, name="deep2")(layers.Dense(3, name="deep1")(b))
    joined = layers.Dense(4, name="joined")(deep)
    out = layers.Dense(1, name="out")(layers.Dense(3, name="side")(a))
    model = bw.Model([a, b, unused], [joined, out])
    # The order real Keras 3.15 gives for this graph.
    assert [l.name for l in model.layers] == ["b", "deep1", "a", "deep2", "side", "u", "joined", "out"]


def test_functional_inputs_take_their_input_dtype_as_in_keras():
    seen = []

    class Record(layers.Layer):
        def call(self, x):
            seen.append(str(x.dtype))
            return x

    ids = bw.Input((3,), dtype="int32")
    values = bw.Input((3,))
    model = bw.Model([ids, values], [Record()(ids), Record()(values)])
    model([np.array([[1.5, 2.0, 3.0]]), np.array([[1, 2, 3]], dtype="int64")])
    assert seen[-2:] == ["int32", "float32"]


def test_input_and_output_shapes_of_graph_models():
    sequential = bw.Sequential([bw.Input((4,)), layers.Dense(3)])
    assert (sequential.input_shape, sequential.output_shape) == ((None, 4), (None, 3))
    a, b = bw.Input((5,)), bw.Input((2,))
    functional = bw.Model([a, b], layers.Dense(2)(a))
    assert functional.input_shape == [(None, 5), (None, 2)]
    assert functional.output_shape == (None, 2)
    with pytest.raises(AttributeError, match="never been called"):
        bw.Sequential([layers.Dense(3)]).output_shape
