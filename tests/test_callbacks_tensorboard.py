"""callbacks.TensorBoard: event files read back with TensorBoard's own readers."""
import json
import os
import struct
import sys
import threading
import zlib

import numpy as np
import pytest

import brickwork
from brickwork import layers
from brickwork.callbacks import LambdaCallback, TensorBoard

try:
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.plugins.graph import keras_util
    from tensorboard.util import tensor_util
except ImportError:  # the tests that read event files are skipped
    event_accumulator = None

needs_tensorboard = pytest.mark.skipif(event_accumulator is None,
                                       reason="the tensorboard package is not installed")

EPOCHS = 3
BATCHES = 3  # 20 samples, batch_size 8


def _model(optimizer=None):
    model = brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4, activation="tanh"),
                                  layers.Dense(1)])
    model.compile(optimizer=optimizer or brickwork.optimizers.Adam(0.01), loss="mse",
                  metrics=["mae"])
    return model


@pytest.fixture
def data(rng):
    x = rng.standard_normal((20, 3)).astype("float32")
    y = rng.standard_normal((20, 1)).astype("float32")
    return x, y, (x[:8], y[:8])


def _fit(model, data, *callbacks, epochs=EPOCHS):
    x, y, validation = data
    return model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=8,
                     shuffle=False, verbose=0, callbacks=list(callbacks))


def _read(folder):
    """TensorBoard's EventAccumulator over one run folder, keeping every event."""
    accumulator = event_accumulator.EventAccumulator(
        str(folder), size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return accumulator


def _series(accumulator, tag):
    """``[(step, value as an array)]`` of a tensor-summary tag."""
    return [(event.step, tensor_util.make_ndarray(event.tensor_proto))
            for event in accumulator.Tensors(tag)]


def _steps(accumulator, tag):
    return [step for step, _ in _series(accumulator, tag)]


def _scalars(accumulator, tag):
    values = [value for _, value in _series(accumulator, tag)]
    assert all(value.shape == () and value.dtype == np.float32 for value in values), tag
    return [float(value) for value in values]


def _f32(values):
    return [float(np.float32(value)) for value in values]


def _writer_threads():
    """The background threads of open event file writers."""
    return [t for t in threading.enumerate() if type(t).__name__ == "_AsyncWriterThread"]


# -- epoch-level scalars ------------------------------------------------------------


@needs_tensorboard
def test_epoch_scalars_in_train_and_validation_equal_history(tmp_path, data):
    model = _model()
    open_writers = _writer_threads()
    history = _fit(model, data, TensorBoard(tmp_path / "logs"))
    assert _writer_threads() == open_writers  # the end of fit closed its files
    assert sorted(os.listdir(tmp_path / "logs")) == ["train", "validation"]
    for run in ("train", "validation"):
        files = os.listdir(tmp_path / "logs" / run)
        assert len(files) == 1 and files[0].startswith("events.out.tfevents."), files

    train, validation = _read(tmp_path / "logs" / "train"), _read(tmp_path / "logs" / "validation")
    assert sorted(train.Tags()["tensors"]) == ["epoch_learning_rate", "epoch_loss", "epoch_mae",
                                               "keras"]
    assert sorted(validation.Tags()["tensors"]) == [
        "epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations"]
    for name in ("loss", "mae"):
        tag = f"epoch_{name}"
        assert _steps(train, tag) == _steps(validation, tag) == list(range(EPOCHS))
        assert _scalars(train, tag) == _f32(history.history[name])
        assert _scalars(validation, tag) == _f32(history.history[f"val_{name}"])
        # What Keras's on_test_end writes for each validation: the step is the
        # optimizer's iteration count.
        evaluation = f"evaluation_{name}_vs_iterations"
        assert _steps(validation, evaluation) == [BATCHES * (e + 1) for e in range(EPOCHS)]
        assert _scalars(validation, evaluation) == _f32(history.history[f"val_{name}"])
    assert _scalars(train, "epoch_learning_rate") == _f32([0.01] * EPOCHS)
    assert _steps(train, "epoch_learning_rate") == list(range(EPOCHS))


@needs_tensorboard
def test_scalars_are_tensor_summaries_of_the_scalars_plugin(tmp_path, data):
    """As tf.summary.scalar writes them: TensorBoard's scalar dashboard (the
    plugin accumulator) lists them; the legacy simple_value list stays empty."""
    _fit(_model(), data, TensorBoard(tmp_path))
    assert _read(tmp_path / "train").Tags()["scalars"] == []
    for run, tags in (("train", {"epoch_loss", "epoch_mae", "epoch_learning_rate"}),
                      ("validation", {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                                      "evaluation_mae_vs_iterations"})):
        accumulator = plugin_event_accumulator.EventAccumulator(str(tmp_path / run))
        accumulator.Reload()
        assert set(accumulator.PluginTagToContent("scalars")) == tags
        assert accumulator.SummaryMetadata("epoch_loss").plugin_data.plugin_name == "scalars"


@needs_tensorboard
def test_learning_rate_is_the_optimizers_current_rate(tmp_path, data):
    schedule = brickwork.optimizers.schedules.ExponentialDecay(0.1, decay_steps=BATCHES,
                                                               decay_rate=0.5)
    model = _model(brickwork.optimizers.SGD(schedule))
    history = _fit(model, data, TensorBoard(tmp_path))
    assert "learning_rate" not in history.history  # the callback reads the optimizer itself
    train = _read(tmp_path / "train")
    assert _scalars(train, "epoch_learning_rate") == pytest.approx(
        _f32([0.1 * 0.5 ** (e + 1) for e in range(EPOCHS)]), rel=1e-6)


@needs_tensorboard
def test_steps_per_second_only_when_asked(tmp_path, data):
    _fit(_model(), data, TensorBoard(tmp_path / "on", write_steps_per_second=True))
    _fit(_model(), data, TensorBoard(tmp_path / "off"))
    on, off = _read(tmp_path / "on" / "train"), _read(tmp_path / "off" / "train")
    assert _steps(on, "epoch_steps_per_second") == list(range(EPOCHS))
    assert all(value > 0 for value in _scalars(on, "epoch_steps_per_second"))
    assert "batch_steps_per_second" not in on.Tags()["tensors"]  # update_freq="epoch"
    assert not any("steps_per_second" in tag for tag in off.Tags()["tensors"])


# -- batch-level scalars ------------------------------------------------------------


def _batch_logs():
    """A callback that keeps every batch's logs, numbered from 1 across epochs."""
    seen = []
    return seen, LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))


@needs_tensorboard
@pytest.mark.parametrize("update_freq, every", [("batch", 1), (1, 1), (2, 2)])
def test_batch_scalars_every_update_freq_batches(tmp_path, data, update_freq, every):
    seen, recorder = _batch_logs()
    history = _fit(_model(), data, TensorBoard(tmp_path, update_freq=update_freq,
                                               write_steps_per_second=True), recorder)
    train = _read(tmp_path / "train")
    steps = list(range(every, EPOCHS * BATCHES + 1, every))
    for name in ("loss", "mae"):
        assert _steps(train, f"batch_{name}") == steps
        assert _scalars(train, f"batch_{name}") == _f32([seen[s - 1][name] for s in steps])
        assert _scalars(train, f"epoch_{name}") == _f32(history.history[name])
    assert _steps(train, "batch_steps_per_second") == steps
    assert all(value > 0 for value in _scalars(train, "batch_steps_per_second"))
    # Only training batches are logged: the validation run has no batch tags.
    assert not any(tag.startswith("batch_")
                   for tag in _read(tmp_path / "validation").Tags()["tensors"])


@needs_tensorboard
def test_no_batch_scalars_by_default(tmp_path, data):
    _fit(_model(), data, TensorBoard(tmp_path))
    assert not any(tag.startswith("batch_") for tag in _read(tmp_path / "train").Tags()["tensors"])


# -- weight histograms and images ---------------------------------------------------


@needs_tensorboard
@pytest.mark.parametrize("histogram_freq, epochs", [(1, [0, 1, 2]), (2, [0, 2])])
def test_weight_histograms(tmp_path, data, histogram_freq, epochs):
    model = _model()
    _fit(model, data, TensorBoard(tmp_path, histogram_freq=histogram_freq))
    train = _read(tmp_path / "train")
    weights = [w for layer in model.layers for w in layer.weights]
    tags = sorted(f"{w.path}/histogram" for w in weights)
    # Tags are the variables' paths, which start with the Sequential's name (as in Keras).
    assert tags == [f"{model.name}/{tag}" for tag in (
        "dense/bias/histogram", "dense/kernel/histogram", "dense_1/bias/histogram",
        "dense_1/kernel/histogram")]
    assert sorted(tag for tag in train.Tags()["tensors"] if tag.endswith("/histogram")) == tags
    accumulator = plugin_event_accumulator.EventAccumulator(str(tmp_path / "train"))
    accumulator.Reload()
    assert sorted(accumulator.PluginTagToContent("histograms")) == tags
    for weight in weights:
        series = _series(train, f"{weight.path}/histogram")
        assert [step for step, _ in series] == epochs
        for _, buckets in series:
            assert buckets.shape == (30, 3) and buckets.dtype == np.float64
            assert buckets[:, 2].sum() == weight.numpy().size
            assert np.all(buckets[:, 0] <= buckets[:, 1])
        final = weight.numpy().astype(np.float64)
        if histogram_freq == 1:  # the last histogram is of the trained weights
            last = series[-1][1]
            if final.min() == final.max():
                assert np.all(last[:, :2] == final.min()) and last[-1, 2] == final.size
            else:
                assert last[0, 0] == final.min() and last[-1, 1] == final.max()
                expected, _ = np.histogram(final, bins=np.append(last[:, 0], last[-1, 1]))
                np.testing.assert_array_equal(last[:, 2], expected)


@needs_tensorboard
def test_no_histograms_by_default(tmp_path, data):
    _fit(_model(), data, TensorBoard(tmp_path, write_images=True))
    tags = _read(tmp_path / "train").Tags()["tensors"]
    assert not any(tag.endswith(("/histogram", "/image")) for tag in tags)


def _decode_png(png):
    """A (grey, 8-bit, unfiltered) PNG from the callback as a ``[h, w]`` array."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = {}, 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind, body = png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 0)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, width + 1)
    assert np.all(rows[:, 0] == 0)
    return rows[:, 1:]


@needs_tensorboard
def test_weight_images_with_write_images(tmp_path, data):
    model = brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4, activation="tanh"),
                                  layers.Dense(2, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    _fit(model, data, TensorBoard(tmp_path, histogram_freq=1, write_images=True), epochs=1)
    train = _read(tmp_path / "train")
    accumulator = plugin_event_accumulator.EventAccumulator(str(tmp_path / "train"))
    accumulator.Reload()
    # dense_2's bias has one value: squeezed to a scalar, it makes no image (as Keras).
    assert sorted(accumulator.PluginTagToContent("images")) == [
        f"{model.name}/{tag}" for tag in ("dense/bias/image", "dense/kernel/image",
                                          "dense_1/bias/image", "dense_1/kernel/image",
                                          "dense_2/kernel/image")]
    # As Keras: the (3, 4) kernel is one 3 x 4 image; the (4, 2) kernel is
    # turned on its side to 2 x 4 (the longer side across); the (2, 1) kernel
    # squeezes to a vector and, like the (4,) bias, is a column. Values in
    # [0, 1] map to 0..255, the rest saturate.
    for path, (height, width), transposed in (
            ("dense/kernel", (3, 4), False), ("dense_1/kernel", (2, 4), True),
            ("dense_2/kernel", (2, 1), False), ("dense/bias", (4, 1), False)):
        path = f"{model.name}/{path}"
        [(step, tensor)] = _series(train, f"{path}/image")
        assert step == 0
        assert list(tensor[:2]) == [str(width).encode(), str(height).encode()]
        weight = next(w for w in model.weights if w.path == path).numpy()
        weight = weight.T if transposed else weight
        expected = np.clip(weight.reshape(height, width) * np.float32(255.5), 0, 255)
        np.testing.assert_array_equal(_decode_png(tensor[2]), expected.astype(np.uint8))


# -- the model graph ----------------------------------------------------------------


@needs_tensorboard
def test_write_graph_writes_the_model_config_for_the_graphs_dashboard(tmp_path, data):
    model = _model()
    _fit(model, data, TensorBoard(tmp_path / "on"))
    _fit(_model(), data, TensorBoard(tmp_path / "off", write_graph=False))
    train = _read(tmp_path / "on" / "train")
    [(step, tensor)] = _series(train, "keras")
    assert step == 0
    config = json.loads(tensor.item())
    assert config == json.loads(model.to_json())
    assert train.summary_metadata["keras"].plugin_data.plugin_name == "graph_keras_model"
    graph = keras_util.keras_model_to_graph_def(config)  # what the Graphs dashboard draws
    assert [node.attr["keras_class"].s for node in graph.node] == [b"InputLayer", b"Dense",
                                                                   b"Dense"]
    assert "keras" not in _read(tmp_path / "off" / "train").Tags()["tensors"]


# -- evaluate -----------------------------------------------------------------------


@needs_tensorboard
def test_evaluate_with_the_callback_logs_against_iterations(tmp_path, data):
    model = _model()
    x, y, _ = data
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # 6 optimizer steps
    tensorboard = TensorBoard(tmp_path)
    open_writers = _writer_threads()
    logs = model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[tensorboard],
                          return_dict=True)
    assert _writer_threads() == open_writers  # the end of evaluate closed its file
    validation = _read(tmp_path / "validation")
    assert _series(validation, "evaluation_loss_vs_iterations")[0][0] == 6
    assert _scalars(validation, "evaluation_loss_vs_iterations") == _f32([logs["loss"]])
    assert _scalars(validation, "evaluation_mae_vs_iterations") == _f32([logs["mae"]])
    assert not os.path.exists(tmp_path / "train")


@needs_tensorboard
def test_an_evaluation_seen_by_the_callback_is_not_written_twice(tmp_path, data):
    """Were fit to validate with its callbacks (as Keras's fit does), the
    epoch end would not write the evaluation again."""
    model = _model()
    tensorboard = TensorBoard(tmp_path, write_graph=False)
    tensorboard.set_model(model)
    tensorboard.on_train_begin()
    tensorboard.on_epoch_begin(0)
    tensorboard.on_test_begin()
    tensorboard.on_test_end({"loss": 0.5})
    tensorboard.on_epoch_end(0, {"loss": 1.0, "val_loss": 0.5})
    tensorboard.on_train_end()
    validation = _read(tmp_path / "validation")
    assert _scalars(validation, "evaluation_loss_vs_iterations") == [0.5]
    assert _scalars(validation, "epoch_loss") == [0.5]
    assert _scalars(_read(tmp_path / "train"), "epoch_loss") == [1.0]


# -- arguments and errors -----------------------------------------------------------


@needs_tensorboard
def test_keras_arguments_and_defaults():
    tensorboard = TensorBoard()
    assert (tensorboard.log_dir, tensorboard.histogram_freq, tensorboard.write_graph,
            tensorboard.write_images, tensorboard.write_steps_per_second,
            tensorboard.update_freq, tensorboard.profile_batch, tensorboard.embeddings_freq,
            tensorboard.embeddings_metadata) == ("logs", 0, True, False, False, "epoch", 0, 0,
                                                 None)
    assert TensorBoard(update_freq="batch").update_freq == 1
    for bad in ({"update_freq": "step"}, {"update_freq": 0}, {"histogram_freq": -1},
                {"profile_batch": -1}, {"profile_batch": (5, 2)}, {"profile_batch": "a,b"}):
        with pytest.raises(ValueError):
            TensorBoard(**bad)


@needs_tensorboard
def test_profiling_and_embeddings_warn_and_write_nothing(tmp_path, data):
    with pytest.warns(UserWarning, match="profile_batch"):
        profiled = TensorBoard(tmp_path / "profile", profile_batch=(1, 2))
    with pytest.warns(UserWarning, match="embeddings_freq"):
        embedded = TensorBoard(tmp_path / "embed", embeddings_freq=1,
                               embeddings_metadata={"embedding": "meta.tsv"})
    _fit(_model(), data, profiled, epochs=1)
    _fit(_model(), data, embedded, epochs=1)
    for folder in ("profile", "embed"):
        assert sorted(os.listdir(tmp_path / folder)) == ["train", "validation"]
        assert all(name.startswith("events.out.tfevents.")
                   for name in os.listdir(tmp_path / folder / "train"))


@needs_tensorboard
def test_unwritable_log_dir_fails_before_training(tmp_path, data):
    (tmp_path / "a_file").write_text("not a folder")
    model = _model()
    x, y, _ = data
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    before = [w.copy() for w in model.get_weights()]
    log_dir = tmp_path / "a_file" / "logs"
    with pytest.raises(OSError, match="TensorBoard cannot write its event files in log_dir="
                                      ".*a_file/logs"):
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[TensorBoard(log_dir)])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@needs_tensorboard
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_log_dir_raises_permission_error(tmp_path, data):
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(PermissionError, match="TensorBoard cannot write"):
            _fit(_model(), data, TensorBoard(tmp_path / "logs"))
    finally:
        os.chmod(tmp_path, 0o700)


def test_missing_tensorboard_package_names_the_extra(monkeypatch):
    for name in list(sys.modules):
        if name == "tensorboard" or name.startswith("tensorboard."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r'pip install "brickwork\[tensorboard\]"'):
        TensorBoard()
