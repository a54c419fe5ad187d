"""An unbuilt model trains on its first ``fit`` exactly as one built first.

The model, its optimizer and its metrics are built from the first batch
before the first step (Keras's ``_symbolic_build``). Each case builds the
same seeded model twice, once up front and once left to ``fit``
(``train_on_batch``, ``evaluate``), and compares everything afterwards.
"""
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, ops
from brickwork.naming import reset_names


class TwoDense(bw.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


class Outer(bw.Model):
    """A subclassed model holding a Sequential without an Input."""

    def __init__(self):
        super().__init__()
        self.body = bw.Sequential([layers.Dense(8, activation="tanh"), layers.Dropout(0.1)])
        self.head = layers.Dense(1)

    def call(self, x, training=False):
        return self.head(self.body(x, training=training))


def sequential_without_input():
    return bw.Sequential([layers.Dense(8, activation="relu"), layers.BatchNormalization(),
                          layers.Dense(1)])


def functional_with_nested_sequential():
    inputs = layers.Input((4,))
    inner = bw.Sequential([layers.Dense(8, activation="relu"), layers.Dense(4)])
    return bw.Model(inputs, layers.Dense(1)(inner(inputs)))


MODELS = {"subclassed": TwoDense, "sequential_without_input": sequential_without_input,
          "nested": Outer, "functional_nested": functional_with_nested_sequential}


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")


def make(kind, build_first, optimizer=None):
    reset_names()
    bw.random.set_random_seed(7)
    model = MODELS[kind]()
    if build_first:
        model(data()[0][:2])
    optimizer = optimizer or bw.optimizers.Adam(learning_rate=0.02)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def assert_same_state(a, b, metrics=True, paths=True):
    if paths:
        assert [v.path for v in a.weights] == [v.path for v in b.weights]
    assert len(a.weights) == len(b.weights) and len(a.optimizer.variables) == len(
        b.optimizer.variables)
    for va, vb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
    if paths:
        assert [v.path for v in a.optimizer.variables] == [v.path for v in b.optimizer.variables]
    for va, vb in zip(a.optimizer.variables, b.optimizer.variables):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
    if metrics:
        assert [m.name for m in a.metrics] == [m.name for m in b.metrics]


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_first_fit_of_an_unbuilt_model_trains_as_a_built_one(kind):
    x, y = data()
    history_built = (built := make(kind, True)).fit(x, y, epochs=3, verbose=0).history
    history_unbuilt = (unbuilt := make(kind, False)).fit(x, y, epochs=3, verbose=0).history
    assert history_unbuilt == history_built
    assert history_unbuilt["loss"][-1] < history_unbuilt["loss"][0]
    assert int(ops.convert_to_numpy(unbuilt.optimizer.iterations)) == 9
    # Adam: iterations, learning rate, then a momentum and a velocity per weight.
    assert len(unbuilt.optimizer.variables) == 2 + 2 * len(unbuilt.trainable_weights)
    assert_same_state(built, unbuilt)


@pytest.mark.parametrize("kind", ["subclassed", "sequential_without_input"])
def test_train_on_batch_and_evaluate_build_an_unbuilt_model_first(kind):
    x, y = data()
    logs_built = (built := make(kind, True, "sgd")).train_on_batch(x, y)
    assert (unbuilt := make(kind, False, "sgd")).train_on_batch(x, y) == logs_built
    assert_same_state(built, unbuilt)

    built = make(kind, True)
    logs_built = built.evaluate(x, y, verbose=0), built.fit(x, y, verbose=0).history
    unbuilt = make(kind, False)
    assert (unbuilt.evaluate(x, y, verbose=0), unbuilt.fit(x, y, verbose=0).history) == logs_built
    assert_same_state(built, unbuilt)


def test_a_second_fit_keeps_the_optimizer_state_of_the_first():
    x, y = data()
    model = make("subclassed", False)
    model.fit(x, y, epochs=1, verbose=0)
    slots = [v.path for v in model.optimizer.variables]
    model.fit(x, y, epochs=1, verbose=0)
    assert [v.path for v in model.optimizer.variables] == slots
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 6


def test_saving_after_a_first_fit_round_trips_the_optimizer(tmp_path, recwarn):
    x, y = data()
    model = make("sequential_without_input", False)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = bw.models.load_model(tmp_path / "m.keras")
    assert not [w for w in recwarn if "optimizer" in str(w.message)]
    # As in Keras, the trained Sequential's paths carry its name (its layers
    # were built in its scope) and the loaded one's do not (built one by one).
    assert model.weights[0].path == "sequential/dense/kernel"
    assert loaded.weights[0].path == "dense/kernel"
    assert_same_state(model, loaded, metrics=False, paths=False)
