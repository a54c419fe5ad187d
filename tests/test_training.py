"""compile / fit / evaluate / predict: behaviour, errors and accuracy on real data."""
import contextlib
import io
import re

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers


def small_classifier(n_in=8, n_out=3):
    return bw.Sequential([layers.Input((n_in,)), layers.Dense(16, activation="relu"),
                          layers.Dense(n_out, activation="softmax")])


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3, size=(3, 8))
    y = rng.integers(0, 3, n)
    x = (centers[y] + rng.normal(size=(n, 8))).astype("float32")
    return x, y


@pytest.mark.slow
@pytest.mark.parametrize("example, target", [("digits_mlp", 0.95), ("digits_cnn", 0.97),
                                             ("custom_train_step", 0.95),
                                             ("sequence_lstm", 0.9)])
def test_examples_reach_their_test_accuracy(example, target):
    pytest.importorskip("sklearn")
    import importlib

    import examples_path  # noqa: F401  (puts examples/ on sys.path)
    with contextlib.redirect_stdout(io.StringIO()):
        accuracy = importlib.import_module(example).main(["--verbose", "0"])
    assert accuracy >= target


def test_loss_goes_down_and_history_has_every_key():
    x, y = blobs()
    model = small_classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["val_accuracy"][-1] >= 0.9
    assert history.epoch == list(range(15))


def test_evaluate_and_on_batch_return_forms():
    x, y = blobs(64)
    model = small_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    as_list = model.evaluate(x, y, verbose=0)
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert as_list == [as_dict["loss"], as_dict["accuracy"]]
    loss, acc = model.train_on_batch(x[:16], y[:16])
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert model.test_on_batch(x[:16], y[:16], return_dict=True).keys() == {"loss", "accuracy"}
    np.testing.assert_allclose(model.predict_on_batch(x[:4]), model.predict(x[:4], verbose=0))


def test_predict_in_batches_equals_one_call():
    x, _ = blobs(70)
    model = small_classifier()
    np.testing.assert_allclose(model.predict(x, batch_size=16, verbose=0),
                               bw.ops.convert_to_numpy(model(x)), rtol=1e-6)


def test_early_stopping_stops_and_restores_best_weights():
    x, y = blobs(120)
    model = small_classifier()
    model.compile(bw.optimizers.SGD(0.0), "sparse_categorical_crossentropy")  # no progress
    stopper = bw.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 3
    assert stopper.stopped_epoch == 2


def test_multi_output_fit_with_loss_weights():
    a = bw.Input((4,), name="a")
    hidden = layers.Dense(8, activation="relu")(a)
    model = bw.Model(a, [layers.Dense(1, name="reg")(hidden),
                         layers.Dense(2, activation="softmax", name="cls")(hidden)])
    model.compile("adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 1.0}, metrics={"cls": ["accuracy"]})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    history = model.fit(x, [x[:, :1], (x[:, 1] > 0).astype("int64")], epochs=3, verbose=0)
    assert {"loss", "reg_loss", "cls_loss", "cls_accuracy"} <= set(history.history)
    logs = model.evaluate(x, [x[:, :1], (x[:, 1] > 0).astype("int64")], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], 0.5 * logs["reg_loss"] + logs["cls_loss"], rtol=1e-5)


def test_progress_bar_format():
    x, y = blobs(64)
    model = small_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    text = out.getvalue()
    assert text.startswith("Epoch 1/2\n") and "Epoch 2/2\n" in text
    final = text.split("\n")[-2]  # not a terminal: plain lines (tests/test_progress_logs.py)
    assert re.fullmatch(r"4/4 ━{20} \d+s \d+(ms|us|s)/step - accuracy: \d\.\d{4} - "
                        r"loss: \d\.\d{4}", final)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(x, y, epochs=1, batch_size=16, verbose=2)
    assert re.fullmatch(r"4/4 - \d+s - \d+(ms|us|s)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}\n",
                        out.getvalue())


def test_seeded_runs_are_reproducible():
    x, y = blobs(64)

    def run():
        bw.utils.set_random_seed(7)
        model = bw.Sequential([layers.Input((8,)), layers.Dense(16, activation="relu"),
                               layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, verbose=0)
        return model.get_weights()
    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


# -- bad input -------------------------------------------------------------


def test_unknown_names_are_reported_and_compile_is_atomic():
    model = small_classifier()
    model.compile("sgd", "mse")
    optimizer = model.optimizer
    with pytest.raises(ValueError, match="nosuchloss"):
        model.compile("adam", "nosuchloss")
    with pytest.raises(ValueError, match="nosuchopt"):
        model.compile("nosuchopt", "mse")
    assert model.optimizer is optimizer  # the failed compiles changed nothing
    with pytest.raises(ValueError, match="nosuchact"):
        layers.Dense(2, activation="nosuchact")


def test_fit_before_compile_and_mismatched_data():
    model = small_classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((4, 8)), np.zeros(4))
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="cardinality.*x sizes: \\[10\\].*y sizes: \\[9\\]"):
        model.fit(np.zeros((10, 8)), np.zeros(9), verbose=0)
    with pytest.raises(ValueError, match="class_weight.*sample_weight"):
        model.fit(np.zeros((4, 8)), np.zeros(4), class_weight={0: 1.0}, sample_weight=np.ones(4),
                  verbose=0)


def test_wrong_input_width_during_fit_names_layer_and_leaves_weights():
    model = small_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="incompatible"):
        model.fit(np.zeros((8, 5), "float32"), np.zeros(8), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_callback_hooks_always_receive_logs_and_keras2_batch_hooks_run():
    seen = []

    class Strict(bw.callbacks.Callback):
        def on_train_begin(self, logs):
            seen.append(("train_begin", logs))

        def on_epoch_begin(self, epoch, logs):
            seen.append(("epoch_begin", logs))

        def on_batch_end(self, batch, logs=None):
            seen.append(("batch_end", sorted(logs)))

    x, y = blobs(32)
    model = small_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Strict()])
    assert seen[:2] == [("train_begin", None), ("epoch_begin", None)]
    assert seen[2:] == [("batch_end", ["loss"])] * 2


def test_compile_config_round_trip_keeps_per_output_losses_and_metric_names():
    a = bw.Input((4,), name="a")
    hidden = layers.Dense(8, activation="relu")(a)
    model = bw.Model(a, [layers.Dense(1, name="reg")(hidden), layers.Dense(2, name="cls")(hidden)])
    model.compile(bw.optimizers.Adam(0.01), loss={"reg": "mse", "cls": bw.losses.SparseCategoricalCrossentropy(from_logits=True)},
                  metrics={"reg": ["mae"]})
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = [x[:, :1], (x[:, 1] > 0).astype("int64")]
    model.fit(x, y, epochs=1, verbose=0)
    config = model.get_compile_config()
    assert config["optimizer"]["class_name"] == "Adam"
    clone = bw.models.Model.from_config(model.get_config())
    clone.compile_from_config(config)
    assert clone.optimizer.variables  # built, ready to take saved state
    clone.fit(x, y, epochs=1, verbose=0)
    assert sorted(clone.history.history) == sorted(model.history.history)
    assert "reg_mae" in clone.history.history


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_an_empty_data_set_is_refused(method):
    model = small_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs(8)
    arguments = (x[:0],) if method == "predict" else (x[:0], y[:0])
    with pytest.raises(ValueError, match=f"Expected input data to {method} on, but `x` has no "
                                         f"samples"):
        getattr(model, method)(*arguments, verbose=0)
