"""``TensorBoard``: write training logs for TensorBoard, without TensorFlow."""
from __future__ import annotations

import os
import struct
import time
import warnings
import zlib

import numpy as np

from brickwork.callbacks.callback import Callback
from brickwork.ops import convert_to_numpy
from brickwork.optimizers import Optimizer

# Buckets of a weight histogram: the default of tf.summary.histogram.
_HISTOGRAM_BUCKETS = 30
# Images per weight: the default `max_outputs` of tf.summary.image.
_MAX_IMAGES = 3


def _import_tensorboard():
    """The parts of the ``tensorboard`` package the callback writes with."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.histogram import metadata as histogram_metadata
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar import metadata as scalar_metadata
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        from tensorboard.util import tensor_util
    except ImportError as exc:
        raise ImportError(
            "The TensorBoard callback writes its logs with the `tensorboard` package, which "
            "is not installed (TensorFlow is not needed). Install it with "
            "`pip install \"brickwork[tensorboard]\"` (or `pip install tensorboard`)."
        ) from exc
    return {"event_pb2": event_pb2, "summary_pb2": summary_pb2,
            "EventFileWriter": EventFileWriter, "tensor_util": tensor_util,
            "scalar_metadata": scalar_metadata, "histogram_metadata": histogram_metadata,
            "image_metadata": image_metadata}


def _check_profile_batch(profile_batch):
    """Keras's validation of ``profile_batch``: ``(start, stop)`` of the range."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
               "A pair of positive integers signifies a range of batches to profile. "
               f"Found: {profile_batch}")
    value = profile_batch
    try:
        if isinstance(value, str):  # Keras' legacy "start,stop" or "start"
            value = [int(part) for part in value.split(",")]
            value = value[0] if len(value) == 1 else value
    except ValueError:
        raise ValueError(message) from None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _histogram_buckets(values, bucket_count=_HISTOGRAM_BUCKETS):
    """``[bucket_count, 3]`` float64 rows ``(left edge, right edge, count)``,
    bucketed as tf.summary.histogram does (equal widths from min to max, the
    maximum in the last bucket; one value: every edge at it, all in the last
    bucket). Non-finite values have no bucket and are left out."""
    data = np.asarray(values, dtype=np.float64).reshape(-1)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return np.zeros((bucket_count, 3))
    low, high = data.min(), data.max()
    if high == low:
        counts = np.zeros(bucket_count)
        counts[-1] = data.size
        edges = np.full(bucket_count, high)
        return np.stack([edges, edges, counts], axis=1)
    width = (high - low) / bucket_count
    index = np.minimum(np.floor((data - low) / width).astype(np.int64), bucket_count - 1)
    counts = np.bincount(index, minlength=bucket_count).astype(np.float64)
    edges = np.linspace(low, high, bucket_count + 1)
    edges[-1] = high
    return np.stack([edges[:-1], edges[1:], counts], axis=1)


def _weight_images(weight):
    """A weight as Keras's TensorBoard turns it into images: ``[k, h, w, c]``
    float values, or None where Keras writes no image (scalars, 3-D convolution
    kernels). Channels-last layout, brickwork's only image data format."""
    image = np.squeeze(np.asarray(weight, dtype=np.float32))
    if image.ndim == 1:  # a bias: one column
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a Dense kernel: the longer side across
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:  # a 1-D convolution kernel: one image per filter
        image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape + (1,))
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4) and image.size:
        return image
    return None


def _png(image):
    """One ``[h, w, c]`` uint8 image (c: 1, 2, 3 or 4) as PNG bytes."""
    height, width, channels = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = np.concatenate([np.zeros((height, 1), np.uint8),  # filter type 0 per row
                           image.reshape(height, width * channels)], axis=1)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))


def _scalar_value(value):
    """A log value as a float, or None where it is no number (a list, a string)."""
    try:
        array = np.asarray(convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - anything that is no array is no scalar
        return None
    if array.size != 1 or array.dtype.kind not in "biuf":
        return None
    return float(array.reshape(()))


class TensorBoard(Callback):
    """As ``keras.callbacks.TensorBoard``: write event files that TensorBoard
    reads, in ``log_dir/train`` and ``log_dir/validation``, under Keras's tags.
    Writing needs the ``tensorboard`` package (``pip install
    "brickwork[tensorboard]"``), not TensorFlow: the records, protocol buffers
    and summary formats are the package's own, the ones ``tf.summary`` writes
    (scalars, histograms and images as tensor summaries of the "scalars",
    "histograms" and "images" plugins).

    What is written, as Keras writes it:

    * at every epoch end, ``epoch_<name>`` in ``train/`` for each training log
      (``epoch_loss``, ``epoch_<metric>``), ``epoch_learning_rate`` (the
      optimizer's current rate; ``epoch_learning_rate_<name>`` per optimizer of
      a multi-optimizer) and, with ``write_steps_per_second``,
      ``epoch_steps_per_second``; each ``val_<name>`` log as ``epoch_<name>`` in
      ``validation/``. The step is the epoch (0-based).
    * after each evaluation, ``evaluation_<name>_vs_iterations`` in
      ``validation/``, the step being the optimizer's iteration count: for the
      validation of every epoch of ``fit``, and for ``model.evaluate(...,
      callbacks=[tensorboard])``.
    * with ``update_freq="batch"`` or an integer ``N``, ``batch_<name>`` in
      ``train/`` for each batch log, every ``N`` batches counted across epochs
      from 1 (the step), and ``batch_steps_per_second`` with
      ``write_steps_per_second``.
    * with ``histogram_freq=N`` > 0, at epochs 0, N, 2N, ..., a histogram of
      every weight of every layer of the model (30 buckets), tagged
      ``<weight path>/histogram`` in ``train/``; with ``write_images`` as well,
      the weight as images (``<weight path>/image``).
    * with ``write_graph`` (the default), the model's config (its JSON) under
      the tag ``keras``, step 0, in ``train/``, for Sequential and functional
      models: TensorBoard's Graphs dashboard draws it as the "conceptual
      graph". There is no op-level graph (that is a TensorFlow graph).

    Accepted but not implemented (brickwork has no TensorFlow):

    * ``profile_batch``: checked as Keras checks it; a value other than 0
      warns that brickwork has no profiler, and nothing is profiled.
    * ``embeddings_freq``, ``embeddings_metadata``: the TensorBoard projector
      reads TensorFlow checkpoints, which brickwork does not write; a non-zero
      ``embeddings_freq`` warns, and no projector files are written.

    Args:
        log_dir: the folder of the log files; ``train/`` and ``validation/``
            are made in it. Each ``fit`` starts new event files.
        histogram_freq: every how many epochs to write weight histograms
            (0: never).
        write_graph: whether to write the model's config for the Graphs
            dashboard.
        write_images: whether to write the weights as images too (with the
            histograms, so only when ``histogram_freq`` > 0).
        write_steps_per_second: whether to log training steps per second
            (per epoch, and per batch when ``update_freq`` asks for batches).
        update_freq: ``"epoch"`` (default), ``"batch"`` (same as 1) or an
            integer ``N``: also log the batch logs every ``N`` batches.
        profile_batch: accepted, not implemented (see above). Default 0.
        embeddings_freq: accepted, not implemented (see above). Default 0.
        embeddings_metadata: accepted, not implemented. Default None.

    Example:

    ```python
    tensorboard = brickwork.callbacks.TensorBoard(log_dir="./logs", histogram_freq=1)
    model.fit(x_train, y_train, validation_split=0.2, epochs=5, callbacks=[tensorboard])
    # then: tensorboard --logdir ./logs
    ```
    """

    _rank_zero_only = True  # writes files / prints (rank 0 under DataParallel)

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        tensorboard = _import_tensorboard()  # fails here, naming what to install
        self.log_dir = os.fspath(log_dir) if isinstance(log_dir, os.PathLike) else str(log_dir)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, (int, np.integer))
                                       or isinstance(update_freq, bool) or update_freq < 1):
            raise ValueError("update_freq must be 'epoch', 'batch' or a positive integer. "
                             f"Received: update_freq={update_freq!r}")
        if (not isinstance(histogram_freq, (int, np.integer)) or isinstance(histogram_freq, bool)
                or histogram_freq < 0):
            raise ValueError("histogram_freq must be a non-negative integer. "
                             f"Received: histogram_freq={histogram_freq!r}")
        self.histogram_freq = int(histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq if update_freq == "epoch" else int(update_freq)
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        if _check_profile_batch(profile_batch) != (0, 0):
            warnings.warn(f"TensorBoard: profile_batch={profile_batch!r} is ignored: brickwork "
                          f"has no profiler, so no profile is written.", stacklevel=2)
        if embeddings_freq:
            warnings.warn(f"TensorBoard: embeddings_freq={embeddings_freq!r} is ignored: the "
                          f"TensorBoard projector reads TensorFlow checkpoints, which brickwork "
                          f"does not write, so no embeddings are written.", stacklevel=2)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._previous_epoch_iterations = 0
        self._evaluation_written = False
        self._scalar_metadata = tensorboard["scalar_metadata"].create_summary_metadata(
            display_name=None, description=None)
        self._histogram_metadata = tensorboard["histogram_metadata"].create_summary_metadata(
            display_name=None, description=None)
        self._image_metadata = tensorboard["image_metadata"].create_summary_metadata(
            display_name=None, description=None)

    @property
    def _tb(self):
        # Looked up when used, not kept: the callback holds no modules.
        return _import_tensorboard()

    # -- writing ------------------------------------------------------------------------

    def _writer(self, name):
        """The event file writer of ``train`` or ``validation``, made on first use."""
        if name not in self._writers:
            folder = self._train_dir if name == "train" else self._val_dir
            try:
                self._writers[name] = self._tb["EventFileWriter"](folder)
            except OSError as exc:
                raise OSError(exc.errno, f"TensorBoard cannot write its event files in "
                                         f"log_dir={self.log_dir!r} (folder {folder!r}): "
                                         f"{exc.strerror or exc}") from exc
        return self._writers[name]

    def _write(self, writer, tag, tensor, metadata, step):
        summary = self._tb["summary_pb2"].Summary()
        summary.value.add(tag=tag, metadata=metadata,
                          tensor=self._tb["tensor_util"].make_tensor_proto(tensor))
        event = self._tb["event_pb2"].Event(wall_time=time.time(), step=int(step),
                                            summary=summary)
        self._writer(writer).add_event(event)

    def _scalars(self, writer, values, step, prefix="", suffix=""):
        for name, value in values.items():
            number = _scalar_value(value)
            if number is not None:
                self._write(writer, f"{prefix}{name}{suffix}", np.float32(number),
                            self._scalar_metadata, step)

    def _flush(self):
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self):
        writers, self._writers = self._writers, {}
        for writer in writers.values():
            writer.close()

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return None
        return int(convert_to_numpy(optimizer.iterations))

    # -- hooks --------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._writer("train")  # a log_dir that cannot be written fails here, before training
        if self.write_graph:
            self._write_model_config()
        self._flush()

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._evaluation_written = False
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations() or 0
            self._epoch_start_time = time.time()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.time() - self._batch_start_time
            self._scalars("train", {"steps_per_second": 1.0 / max(elapsed, 1e-9)}, step,
                          prefix="batch_")
        if isinstance(logs, dict):
            self._scalars("train", logs, step, prefix="batch_")

    def on_test_end(self, logs=None):
        self._write_evaluation(logs or {})
        if not self._training:  # model.evaluate(callbacks=[...]): its file is complete
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._log_epoch_metrics(epoch, logs)
        if not self._evaluation_written:
            # brickwork's fit validates without the fit callbacks, Keras's with
            # them: write what Keras's on_test_end writes for that evaluation.
            val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
            if val_logs:
                self._write_evaluation(val_logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._flush()

    # -- what is logged -----------------------------------------------------------------

    def _write_model_config(self):
        """The model's JSON under "keras", which the Graphs dashboard draws (as Keras)."""
        if type(self.model).__name__ not in ("Functional", "Sequential"):
            return
        try:
            config = self.model.to_json()
        except Exception as exc:  # noqa: BLE001 - a config must not break training
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}", stacklevel=3)
            return
        summary_pb2 = self._tb["summary_pb2"]
        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name="graph_keras_model", content=b"1"))
        self._write("train", "keras", np.array(config.encode("utf-8"), dtype=object),
                    metadata, 0)

    def _learning_rates(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            return {f"learning_rate_{opt.name}": float(convert_to_numpy(opt.learning_rate))
                    for opt in optimizer.optimizers}
        if isinstance(optimizer, Optimizer):
            return {"learning_rate": float(convert_to_numpy(optimizer.learning_rate))}
        return {}

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            iterations = self._iterations() or 0
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            steps = iterations - self._previous_epoch_iterations
            train_logs["steps_per_second"] = steps / elapsed
        self._scalars("train", train_logs, epoch, prefix="epoch_")
        if val_logs:
            self._scalars("validation", val_logs, epoch, prefix="epoch_")

    def _write_evaluation(self, logs):
        iterations = self._iterations()
        if iterations is None or not logs:
            return
        self._scalars("validation", logs, iterations, prefix="evaluation_",
                      suffix="_vs_iterations")
        self._evaluation_written = True

    def _log_weights(self, epoch):
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = convert_to_numpy(weight)
                self._write("train", f"{name}/histogram", _histogram_buckets(values),
                            self._histogram_metadata, epoch)
                if self.write_images:
                    self._log_weight_as_image(values, f"{name}/image", epoch)

    def _log_weight_as_image(self, values, tag, epoch):
        images = _weight_images(values)
        if images is None:
            return
        # tf.image.convert_image_dtype(..., uint8, saturate=True): [0, 1] -> [0, 255].
        pixels = np.clip(images * np.float32(255.5), 0, 255).astype(np.uint8)
        _, height, width, _ = pixels.shape
        encoded = [_png(image) for image in pixels[:_MAX_IMAGES]]
        tensor = np.array([str(width).encode(), str(height).encode()] + encoded, dtype=object)
        self._write("train", tag, tensor, self._image_metadata, epoch)
