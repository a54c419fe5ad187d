"""Variable paths as Keras 3 gives them (values read from Keras 3.15 on
torch for the same code): a layer's weights are made in its own name scope,
a Sequential's or subclassed model's layers in the model's scope, and a
functional model's layers outside it (they are built before the model)."""
import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.naming import reset_names


def paths(variables):
    return [v.path for v in variables]


def test_sequential_and_subclassed_models_prefix_their_name_functional_ones_do_not():
    reset_names()
    sequential = bw.Sequential([bw.Input((4,)), layers.Dense(3)], name="seq")
    assert paths(sequential.weights) == ["seq/dense/kernel", "seq/dense/bias"]
    lazy = bw.Sequential([layers.Dense(3)], name="lazy")
    lazy(np.ones((2, 5), "float32"))
    assert paths(lazy.weights) == ["lazy/dense_1/kernel", "lazy/dense_1/bias"]
    inputs = bw.Input((4,))
    functional = bw.Model(inputs, layers.Dense(2, name="d")(inputs), name="fun")
    assert paths(functional.weights) == ["d/kernel", "d/bias"]

    class Subclassed(bw.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)
    subclassed = Subclassed()
    subclassed(np.ones((1, 3), "float32"))
    assert paths(subclassed.weights) == ["sub/dense_2/kernel", "sub/dense_2/bias"]


def test_composite_layers_and_optimizer_slots_follow_the_paths():
    reset_names()
    attention = layers.MultiHeadAttention(2, 4)
    x = np.ones((1, 3, 8), "float32")
    attention(x, x)
    assert paths(attention.weights)[:3] == ["multi_head_attention/query/kernel",
                                            "multi_head_attention/query/bias",
                                            "multi_head_attention/key/kernel"]
    model = bw.Sequential([bw.Input((3, 5)), layers.Bidirectional(layers.LSTM(2))])
    assert paths(model.weights)[0] == "sequential/bidirectional/forward_lstm/lstm_cell/kernel"
    model = bw.Sequential([bw.Input((4,)), layers.Dense(3)], name="seq")
    model.compile("adam", "mse")
    model.fit(np.ones((4, 4)), np.ones((4, 3)), verbose=0)
    assert paths(model.optimizer.variables)[:4] == [
        "adam/iteration", "adam/learning_rate", "adam/seq_dense_kernel_momentum",
        "adam/seq_dense_kernel_velocity"]


def test_an_explicit_name_scope_prefixes_the_weights_built_inside_it():
    reset_names()
    dense = layers.Dense(2)
    with bw.name_scope("block"):
        dense.build((None, 3))
    assert paths(dense.weights) == ["block/dense/kernel", "block/dense/bias"]
