"""Keras 3's hooks for customizing fit: ``train_step(data)``,
``test_step(data)``, ``predict_step(data)``, ``compute_loss``,
``compute_metrics``, the ``metrics`` property and the data packing helpers.

The metric layout (``['loss', 'compile_metrics', 'a_loss', 'b_loss']``) and
the order of ``evaluate``'s list were read from Keras 3.15 itself.
"""
import numpy as np
import pytest

import brickwork as keras
from brickwork import layers, ops
from brickwork.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight


def regression_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-1.0], [2.0]], "float32")).astype("float32")


class Recorder(keras.Model):
    """Records what each step receives, then runs Keras's default step."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)
        self.seen = []

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        self.seen.append(("train", data))
        return super().train_step(data)

    def test_step(self, data):
        self.seen.append(("test", data))
        return super().test_step(data)

    def predict_step(self, data):
        self.seen.append(("predict", data))
        return super().predict_step(data)


def test_steps_receive_packed_batches_as_in_keras():
    x, y = regression_data(8)
    model = Recorder()
    model.compile("sgd", "mse")
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    model.fit(x, y, sample_weight=np.ones(8), batch_size=8, verbose=0)
    model.evaluate(x, y, batch_size=8, verbose=0)
    model.predict(x, batch_size=8, verbose=0)
    model.predict_on_batch(x)
    kinds = [(kind, len(data) if isinstance(data, tuple) else "x") for kind, data in model.seen]
    assert kinds == [("train", 2), ("train", 3), ("test", 2), ("predict", "x"), ("predict", "x")]
    np.testing.assert_array_equal(ops.convert_to_numpy(model.seen[0][1][1]), y)


def test_unpack_and_pack_follow_keras():
    assert unpack_x_y_sample_weight("x") == ("x", None, None)
    assert unpack_x_y_sample_weight(("x",)) == ("x", None, None)
    assert unpack_x_y_sample_weight(["x", "y"]) == ("x", "y", None)
    assert unpack_x_y_sample_weight(("x", "y", "w")) == ("x", "y", "w")
    with pytest.raises(ValueError, match="found a tuple of 4 items"):
        unpack_x_y_sample_weight((1, 2, 3, 4))
    assert pack_x_y_sample_weight("x") == "x"
    assert pack_x_y_sample_weight(["a", "b"]) == (["a", "b"],)
    assert pack_x_y_sample_weight("x", "y") == ("x", "y")
    assert pack_x_y_sample_weight("x", "y", "w") == ("x", "y", "w")


def two_output_model():
    inputs = keras.Input((3,), name="inp")
    model = keras.Model(inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(2, name="b")(inputs)])
    model.compile("sgd", ["mse", "mse"], loss_weights=[2.0, 0.5], metrics=[["mae"], []])
    return model


def test_metrics_are_laid_out_as_in_keras():
    model = two_output_model()
    assert model.metrics_names == ["loss", "compile_metrics"]
    x = np.ones((4, 3), "float32")
    y = [np.zeros((4, 1), "float32"), np.zeros((4, 2), "float32")]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert model.metrics_names == ["loss", "compile_metrics", "a_loss", "b_loss"]
    assert sorted(logs) == ["a_loss", "a_mae", "b_loss", "loss"]
    a, b = model.predict(x, verbose=0)
    np.testing.assert_allclose(logs["a_loss"], np.mean(a ** 2), rtol=1e-6)
    np.testing.assert_allclose(logs["b_loss"], np.mean(b ** 2), rtol=1e-6)
    np.testing.assert_allclose(logs["loss"], 2.0 * logs["a_loss"] + 0.5 * logs["b_loss"], rtol=1e-6)
    # The list puts named metrics first (the container is not a log key), then the rest sorted.
    values = model.evaluate(x, y, verbose=0)
    assert values == [logs["loss"], logs["a_loss"], logs["b_loss"], logs["a_mae"]]


def test_metrics_held_by_the_model_are_listed_reset_and_reported():
    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.batches = keras.metrics.Sum(name="batches")

        def call(self, x):
            return self.dense(x)

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            self.batches.update_state(1.0)
            return super().compute_metrics(x, y, y_pred, sample_weight)

    x, y = regression_data(64)
    model = Counting()
    model.compile("sgd", "mse")
    assert model.metrics_names == ["loss", "batches"]
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0).history
    assert history["batches"] == [4.0, 4.0, 4.0]  # reset at every epoch
    assert model.get_metrics_result()["batches"] == 4.0


def test_compute_loss_override_trains_with_or_without_a_training_argument():
    class MeanAbsolute(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x, y, y_pred, sample_weight):  # no `training`, as old Keras code
            return ops.mean(ops.abs(y - y_pred))

    x, y = regression_data()
    model = MeanAbsolute()
    model.compile(keras.optimizers.Adam(0.05))  # no loss: compute_loss gives it
    losses = model.fit(x, y, epochs=30, verbose=0).history["loss"]
    assert losses[-1] < 0.3 * losses[0]
    assert model.evaluate(x, y, verbose=0) == pytest.approx(
        float(np.mean(np.abs(y - model.predict(x, verbose=0)))), rel=1e-5)


def test_a_hand_written_train_step_with_the_gradient_tape_trains():
    class Manual(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")

        def call(self, x):
            return self.dense(x)

        @property
        def metrics(self):
            return [self.loss_tracker]

        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            self.optimizer.apply(tape.gradient(loss, self.trainable_variables),
                                 self.trainable_variables)
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    x, y = regression_data()
    model = Manual()
    model.compile(keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0).history
    assert history["loss"][-1] < 0.01 * history["loss"][0]
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 40


def test_fit_without_a_loss_is_refused_before_training():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd")
    with pytest.raises(RuntimeError, match="with a `loss`"):
        model.fit(*regression_data(8), verbose=0)


def test_a_mistyped_metric_is_named_by_compile():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="compile: Could not interpret metric identifier: "
                                         "'acuracy'"):
        model.compile("sgd", "mse", metrics=["mae", "acuracy"])
    assert not model.compiled
