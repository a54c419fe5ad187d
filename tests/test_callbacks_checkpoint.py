"""ModelCheckpoint and BackupAndRestore, with Keras 3's rules."""
import json
import os

import numpy as np
import pytest

import brickwork
from brickwork import layers
from brickwork.callbacks import BackupAndRestore, Callback, ModelCheckpoint


def _model(seed=0):
    brickwork.utils.set_random_seed(seed)
    model = brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4, activation="tanh"),
                                  layers.Dense(1)])
    model.compile(optimizer=brickwork.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


@pytest.fixture
def data(rng):
    return rng.standard_normal((16, 3)).astype("float32"), rng.standard_normal(
        (16, 1)).astype("float32")


def _files(folder):
    return sorted(os.listdir(folder))


# -- ModelCheckpoint ----------------------------------------------------------------


def test_checkpoint_every_epoch_with_placeholders(tmp_path, data):
    model = _model()
    checkpoint = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.keras"),
                                 monitor="loss")
    history = model.fit(*data, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        callbacks=[checkpoint])
    names = _files(tmp_path)
    assert names == [f"ckpt-{e + 1:02d}-{loss:.3f}.keras"
                     for e, loss in enumerate(history.history["loss"])]
    last = brickwork.models.load_model(tmp_path / names[-1])
    for a, b in zip(model.get_weights(), last.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(last.optimizer.iterations.numpy()) == 6


def _drive(checkpoint, model, values, key="val_loss"):
    checkpoint.set_model(model)
    for epoch, value in enumerate(values):
        checkpoint.on_epoch_begin(epoch)
        checkpoint.on_epoch_end(epoch, {key: value})


@pytest.mark.parametrize("mode, values, saved", [
    ("auto", [1.0, 0.5, 0.7, 0.2], [1, 2, 4]),
    ("min", [1.0, 0.5, 0.7, 0.2], [1, 2, 4]),
    ("max", [1.0, 0.5, 1.5, 1.5], [1, 3]),
])
def test_save_best_only(tmp_path, mode, values, saved):
    checkpoint = ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), save_best_only=True, mode=mode)
    _drive(checkpoint, _model(), values)
    assert _files(tmp_path) == [f"m{e}.keras" for e in saved]


def test_auto_mode_follows_metric_direction(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), monitor="val_mae",
                                 save_best_only=True)
    model = _model()
    model.fit(np.zeros((2, 3), "float32"), np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    _drive(checkpoint, model, [0.3, 0.4, 0.1], key="val_mae")
    assert _files(tmp_path) == ["m1.keras", "m3.keras"]
    unknown = ModelCheckpoint(str(tmp_path / "x.keras"), monitor="val_mystery",
                              save_best_only=True)
    with pytest.raises(ValueError, match="maximized or minimized"):
        _drive(unknown, model, [0.3], key="val_mystery")


def test_initial_value_threshold(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m{epoch}.keras"), save_best_only=True,
                                 mode="min", initial_value_threshold=0.4)
    _drive(checkpoint, _model(), [0.5, 0.45, 0.3])
    assert _files(tmp_path) == ["m3.keras"]


def test_save_best_only_without_the_monitored_value_saves_and_warns(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match="only with val_loss available"):
        _drive(checkpoint, _model(), [0.1], key="loss")
    assert _files(tmp_path) == ["m.keras"]


def test_save_weights_only(tmp_path, data):
    model = _model()
    model.fit(*data, epochs=2, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)])
    other = _model(seed=5)
    other.optimizer.build(other.trainable_weights)
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_freq_in_batches(tmp_path, data):
    model = _model()
    model.fit(*data, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3)])
    assert _files(tmp_path) == ["e1-b3.keras", "e2-b2.keras"]


@pytest.mark.parametrize("kwargs, message", [
    ({"filepath": "m.weights.h5"}, r"must end in `\.keras`"),
    ({"filepath": "m.keras", "save_weights_only": True}, r"must end in `\.weights\.h5`"),
    ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq"),
    ({"filepath": "m.keras", "save_freq": 0}, "Unrecognized save_freq"),
])
def test_checkpoint_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelCheckpoint(**kwargs)


def test_unknown_placeholder(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "m-{nothing}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        _drive(checkpoint, _model(), [0.1])


def test_checkpoint_creates_folders_and_leaves_no_temporary_files(tmp_path, data):
    model = _model()
    model.fit(*data, epochs=2, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "sub" / "dir" / "m.keras"))])
    assert _files(tmp_path / "sub" / "dir") == ["m.keras"]


# -- BackupAndRestore ---------------------------------------------------------------


class _Interrupt(Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated preemption")


def test_interrupted_fit_resumes_at_the_right_epoch(tmp_path, data):
    straight = _model()
    straight.fit(*data, batch_size=8, epochs=5, shuffle=False, verbose=0)

    backup_dir = str(tmp_path / "backup")
    first = _model()
    with pytest.raises(KeyboardInterrupt):
        first.fit(*data, batch_size=8, epochs=5, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(backup_dir), _Interrupt(at_epoch=2)])
    with open(os.path.join(backup_dir, "training_metadata.json")) as handle:
        assert json.load(handle) == {"epoch": 3, "batch": 0}

    resumed = _model(seed=99)  # a new process: fresh weights, fresh optimizer
    history = resumed.fit(*data, batch_size=8, epochs=5, shuffle=False, verbose=0,
                          callbacks=[BackupAndRestore(backup_dir)])
    assert history.epoch == [3, 4]
    assert int(resumed.optimizer.iterations.numpy()) == 10
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not os.path.exists(backup_dir)  # deleted once the fit completed
    again = resumed.fit(*data, batch_size=8, epochs=1, verbose=0)
    assert again.epoch == [0]


def test_keep_backup_and_batch_frequency(tmp_path, data):
    backup_dir = tmp_path / "backup"
    model = _model()
    model.fit(*data, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[
        BackupAndRestore(backup_dir, save_freq=3, delete_checkpoint=False)])
    assert _files(backup_dir) == ["latest.weights.h5", "training_metadata.json"]
    with open(backup_dir / "training_metadata.json") as handle:
        assert json.load(handle) == {"epoch": 1, "batch": 1}  # Keras counts as this


def test_double_checkpoint_falls_back_to_previous_backup(tmp_path, data):
    backup_dir = tmp_path / "backup"
    model = _model()
    with pytest.raises(KeyboardInterrupt):
        model.fit(*data, batch_size=8, epochs=4, shuffle=False, verbose=0, callbacks=[
            BackupAndRestore(backup_dir, double_checkpoint=True), _Interrupt(at_epoch=1)])
    (backup_dir / "latest.weights.h5").write_bytes(b"garbage")
    resumed = _model(seed=3)
    history = resumed.fit(*data, batch_size=8, epochs=4, shuffle=False, verbose=0,
                          callbacks=[BackupAndRestore(backup_dir, double_checkpoint=True)])
    assert history.epoch == [1, 2, 3]  # from the .bkp pair written after epoch 1


def test_backup_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir`"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(str(tmp_path), save_freq="batch")
    # fit builds the model before on_train_begin (as Keras), so an unbuilt
    # model can be backed up and restored.
    unbuilt = brickwork.Sequential([layers.Dense(1)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    unbuilt.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0,
                callbacks=[BackupAndRestore(str(tmp_path / "backup"))])
    assert int(unbuilt.optimizer.iterations.numpy()) == 1
