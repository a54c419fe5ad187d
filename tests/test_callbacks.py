"""ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, CSVLogger and
LambdaCallback: traces and file bytes generated with Keras 3.15.1 (torch
backend) driving each callback with the same logs, and use inside ``fit``."""
from __future__ import annotations

import numpy as np
import pytest

import brickwork
from brickwork import callbacks, layers, optimizers

# The monitored value per epoch, shared by every trace below.
VALUES = [1.0, 0.9, 0.895, 0.89, 0.9, 0.88, 0.95, 0.99, 0.7, 0.71, 0.72, 0.73, 0.74]

# logs["learning_rate"] after each epoch's on_epoch_end, from Keras.
PLATEAU_A = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]
PLATEAU_B = [1.0, 1.0, 1.0, 1.0, 1.0, 0.200000003, 0.200000003, 0.039999999, 0.007999999,
             0.007999999, 0.0016, 0.00032, 6.4e-05]
PLATEAU_MAX = [1.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625,
               0.001953125, 0.000976562, 0.000488281]
SCHED = [1.0, 1.0, 0.5, 0.25, 0.125]
SCHED1 = [0.100000001, 0.050000001, 0.033333335, 0.025]
CSV_BYTES = (b'epoch,accuracy,loss,lst,val_accuracy,val_loss,val_lst\r\n'
             b'0,0.75,0.5,"""[1, 2]""",NA,NA,NA\r\n1,0.875,0.25,NA,NA,0.3,NA\r\n'
             b'0;1.0;0.125;NA;NA\r\n')


class FakeModel:
    """Just what these callbacks touch: an optimizer, metrics, stop_training."""

    def __init__(self, learning_rate):
        self.optimizer = optimizers.SGD(learning_rate=learning_rate)
        self.metrics = []
        self.stop_training = False


def trace(callback, values, key="val_loss", learning_rate=1.0):
    callback.set_model(FakeModel(learning_rate))
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {key: value, "loss": value}
        callback.on_epoch_begin(epoch, logs)
        callback.on_epoch_end(epoch, logs)
        rates.append(round(logs["learning_rate"], 9))
    return rates


def test_reduce_lr_on_plateau_matches_keras():
    assert trace(callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.1,
                                             min_delta=0.01), VALUES) == PLATEAU_A
    assert trace(callbacks.ReduceLROnPlateau(factor=0.2, patience=1, min_delta=0.0),
                 VALUES) == PLATEAU_B
    assert trace(callbacks.ReduceLROnPlateau(monitor="val_acc", mode="max", factor=0.5,
                                             patience=1), VALUES, key="val_acc") == PLATEAU_MAX


def test_reduce_lr_on_plateau_defaults_and_errors():
    callback = callbacks.ReduceLROnPlateau()
    assert (callback.monitor, callback.factor, callback.patience, callback.verbose,
            callback.mode, callback.min_delta, callback.cooldown, callback.min_lr) == \
        ("val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="unknown, fallback to auto"):
        callbacks.ReduceLROnPlateau(mode="sideways")
    unknown_direction = callbacks.ReduceLROnPlateau(monitor="val_mystery")
    with pytest.raises(ValueError, match="mode='max'"):
        trace(unknown_direction, [1.0], key="val_mystery")
    missing = callbacks.ReduceLROnPlateau(monitor="val_accuracy", mode="max")
    with pytest.warns(UserWarning, match="not available"):
        trace(missing, [1.0])


def test_learning_rate_scheduler_matches_keras():
    assert trace(callbacks.LearningRateScheduler(lambda e, lr: lr * 0.5 if e >= 2 else lr),
                 VALUES[:5]) == SCHED
    assert trace(callbacks.LearningRateScheduler(lambda e: 0.1 / (e + 1)), VALUES[:4]) == SCHED1


def test_learning_rate_scheduler_needs_a_float():
    callback = callbacks.LearningRateScheduler(lambda epoch: 1)
    callback.set_model(FakeModel(0.1))
    with pytest.raises(ValueError, match="should be a float"):
        callback.on_epoch_begin(0)


def test_csv_logger_writes_keras_bytes(tmp_path):
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(path)
    logger.set_model(FakeModel(0.1))
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75, "lst": [1, 2]})
    assert path.read_bytes().count(b"\r\n") == 2, "each row is flushed at epoch end"
    logger.on_epoch_end(1, {"loss": 0.25, "accuracy": 0.875, "val_loss": 0.3})
    logger.on_train_end()
    appender = callbacks.CSVLogger(str(path), separator=";", append=True)
    appender.on_train_begin()
    appender.on_epoch_end(0, {"loss": 0.125, "accuracy": 1.0})
    appender.on_train_end()
    assert path.read_bytes() == CSV_BYTES


def test_csv_logger_append_to_an_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    logger = callbacks.CSVLogger(path, append=True)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    logger.on_train_end()
    assert path.read_bytes() == b"epoch,loss,val_loss\r\n0,1.0,2.0\r\n"


def small_model(learning_rate=0.1):
    model = brickwork.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def data(n=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_callbacks_inside_fit(tmp_path):
    x, y = data()
    model = small_model()
    events = []
    path = tmp_path / "fit.csv"
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[
                            callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch),
                            callbacks.CSVLogger(path),
                            callbacks.LambdaCallback(
                                on_train_begin=lambda logs: events.append("begin"),
                                on_epoch_end=lambda epoch, logs: events.append(epoch),
                                on_train_batch_end=lambda batch, logs: events.append("b"),
                                on_train_end=lambda logs: events.append("end")),
                        ])
    assert events == ["begin", "b", "b", 0, "b", "b", 1, "b", "b", 2, "end"]
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)
    rows = path.read_text().splitlines()
    assert rows[0] == "epoch,learning_rate,loss,val_loss"
    assert [row.split(",")[0] for row in rows[1:]] == ["0", "1", "2"]


def test_reduce_lr_on_plateau_inside_fit():
    x, y = data()
    model = small_model(learning_rate=0.0)  # no progress: the loss plateaus at once
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        callbacks.ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5)])
    assert history.history["learning_rate"] == [0.0, 0.0, 0.0]
    model = small_model(learning_rate=0.5)
    model.optimizer.learning_rate = 0.5
    x_constant = np.ones((8, 3), "float32")
    history = model.fit(x_constant, np.zeros((8, 1), "float32"), epochs=4, verbose=0,
                        shuffle=False, callbacks=[callbacks.ReduceLROnPlateau(
                            monitor="loss", patience=1, factor=0.5, min_delta=10.0)])
    # min_delta=10 makes every epoch after the first a non-improvement.
    assert history.history["learning_rate"] == [0.5, 0.5, 0.25, 0.125]


def test_terminate_on_nan_stops_or_raises(capsys):
    x, y = data()
    y[3] = np.nan
    model = small_model()
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    assert len(history.epoch) == 1
    model = small_model()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False,
                  callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_lambda_callback_keeps_extra_hooks_as_attributes():
    seen = []
    callback = callbacks.LambdaCallback(on_test_end=lambda logs: seen.append("test_end"))
    callback.on_test_end({})
    callback.on_epoch_end(0, {})  # not given: the base class' no-op
    assert seen == ["test_end"]
