"""Keras 3's data-set utilities, returning brickwork data sets.

``timeseries_dataset_from_array``, ``image_dataset_from_directory``,
``text_dataset_from_directory``, ``audio_dataset_from_directory`` and
``split_dataset`` take Keras's arguments and defaults. What they return is a
:class:`SampleDataset`: a ``PyDataset`` (so ``fit``, ``evaluate`` and
``predict`` take it, with worker threads or processes when asked) that loads
its samples when a batch is asked for, and carries ``class_names`` and
``file_paths`` as Keras's data sets do.

Order: files are listed, labelled and (with ``shuffle``) shuffled exactly as
Keras lists them (``file_paths`` matches Keras for the same ``seed``), and
the first pass reads them in that order; each later pass (each epoch of
``fit``) reshuffles, as ``tf.data``'s shuffle does, with a generator seeded
by ``seed``. The within-epoch order of later epochs is brickwork's own:
tf.data's buffer and grain's permutation are specific to those libraries.
"""
from __future__ import annotations

import math
import multiprocessing.dummy
import os
import random
import wave

import numpy as np

from brickwork import tree
from brickwork.trainers.data_adapters.py_dataset_adapter import PyDataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_FORMATS = (".txt",)
AUDIO_FORMATS = (".wav",)


class SampleDataset(PyDataset):
    """``num_samples`` samples, read ``batch_size`` at a time by
    ``load(indices)`` (a structure of arrays stacked along a first axis).

    With ``batch_size=None`` each item is one sample (``len`` is the number
    of samples); ``batch(n)`` and ``unbatch()`` return re-batched copies.
    ``shuffle`` reshuffles the samples after each epoch (``on_epoch_end``)
    with a generator seeded by ``seed``; the first pass keeps the given order.
    """

    _yields_samples = True  # the adapter refuses it unbatched

    def __init__(self, num_samples, load, batch_size=32, shuffle=False, seed=None,
                 class_names=None, file_paths=None, workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing,
                         max_queue_size=max_queue_size)
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"`batch_size` must be a positive integer or None, got "
                             f"{batch_size!r}")
        self.num_samples = int(num_samples)
        self._load = load
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.class_names = class_names
        self.file_paths = file_paths
        self._order = np.arange(self.num_samples)
        self._rng = np.random.RandomState(seed) if shuffle else None

    def __len__(self):
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} "
                             f"{'samples' if self.batch_size is None else 'batches'}")
        if self.batch_size is None:
            batch = self._load(self._order[index:index + 1])
            return tree.map_structure(lambda a: a[0], batch)
        return self._load(self._order[index * self.batch_size:(index + 1) * self.batch_size])

    def on_epoch_end(self):
        if self._rng is not None:
            self._order = self._rng.permutation(self.num_samples)

    def _copy(self, **changes):
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.__dict__.update(changes)
        return clone

    def batch(self, batch_size):
        """The same samples, ``batch_size`` at a time."""
        if self.batch_size is not None:
            raise ValueError("This data set is already batched (batch_size="
                             f"{self.batch_size}); call unbatch() first.")
        return self._copy(batch_size=int(batch_size))

    def unbatch(self):
        """The same samples, one at a time."""
        return self._copy(batch_size=None)

    def as_arrays(self):
        """Every sample, in the current order, as one structure of arrays."""
        return self._load(self._order)

    def __repr__(self):
        return (f"<{type(self).__name__} samples={self.num_samples} "
                f"batch_size={self.batch_size}>")


# -- timeseries -------------------------------------------------------------------


class _Windows:
    """Windows of ``data`` (and their targets) starting at ``positions``."""

    def __init__(self, data, targets, positions, offsets, start_index):
        self.data, self.targets = data, targets
        self.positions, self.offsets, self.start_index = positions, offsets, start_index

    def __call__(self, indices):
        starts = self.start_index + self.positions[indices]
        windows = np.asarray(self.data)[starts[:, None] + self.offsets[None, :]]
        if self.targets is None:
            return windows
        return windows, np.asarray(self.targets)[starts]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """Sliding windows over a time series, as ``keras.utils.timeseries_dataset_from_array``
    (``format`` is accepted as in :func:`image_dataset_from_directory`).

    Window ``i`` holds ``data[s], data[s + sampling_rate], ...`` (
    ``sequence_length`` steps) for ``s = start_index + i * sequence_stride``;
    its target is ``targets[s]``. With ``shuffle`` the windows are ordered by
    ``np.random.RandomState(seed).shuffle`` of their start positions (as Keras).
    """
    _check_format("timeseries_dataset_from_array", format)
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= length:
            raise ValueError(f"`start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {length}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= length:
            raise ValueError(f"`end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {length}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: "
                         f"sampling_rate={sampling_rate}")
    if sampling_rate >= length:
        raise ValueError(f"`sampling_rate` must be lower than the length of the data. "
                         f"Received: sampling_rate={sampling_rate}, for data of length {length}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: "
                         f"sequence_stride={sequence_stride}")
    if sequence_stride >= length:
        raise ValueError(f"`sequence_stride` must be lower than the length of the data. "
                         f"Received: sequence_stride={sequence_stride}, for data of length "
                         f"{length}")
    start_index = 0 if start_index is None else start_index
    end_index = length if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(positions)
    offsets = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    return SampleDataset(len(positions), _Windows(data, targets, positions, offsets, start_index),
                         batch_size=batch_size, shuffle=shuffle, seed=seed)


# -- files in directories ----------------------------------------------------------


def _valid_files(directory, follow_links, formats):
    walk = os.walk(directory, followlinks=follow_links)
    for root, _, files in sorted(walk, key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def _index_subdirectory(directory, class_indices, follow_links, formats):
    dirname = os.path.basename(directory)
    filenames, labels = [], []
    for root, name in _valid_files(directory, follow_links, formats):
        labels.append(class_indices[dirname])
        absolute = os.path.join(root, name)
        filenames.append(os.path.join(dirname, os.path.relpath(absolute, directory)))
    return filenames, labels


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` as Keras lists them: classes are
    the sorted subdirectories (or ``class_names``, in that order), files are
    sorted within each, then (with ``shuffle``) paths and labels are
    shuffled by ``np.random.RandomState(seed)``."""
    if not os.path.isdir(directory):
        raise ValueError(f"Directory {directory!r} does not exist or is not a directory.")
    if labels == "inferred":
        subdirs = [name.rstrip("/") for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError("The `class_names` passed did not match the names of the "
                                 "subdirectories of the target directory. Expected: "
                                 f"{subdirs} (or a subset of it), but received: "
                                 f"class_names={class_names}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError("When `labels=None` (no labels), argument `class_names` "
                                 "cannot be specified.")
            raise ValueError("When argument `labels` is specified, argument `class_names` "
                             "cannot be specified (the `class_names` will be the sorted "
                             "list of labels).")
    class_names = subdirs
    class_indices = dict(zip(class_names, range(len(class_names))))
    with multiprocessing.dummy.Pool() as pool:
        results = [pool.apply_async(_index_subdirectory,
                                    (os.path.join(directory, subdir), class_indices,
                                     follow_links, formats)) for subdir in subdirs]
        parts = [result.get() for result in results]
    filenames = [name for names, _ in parts for name in names]
    if labels == "inferred":
        labels = np.asarray([label for _, part in parts for label in part], dtype="int32")
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError("Expected the lengths of `labels` to match the number of files "
                             f"in the target directory. len(labels) is {len(labels)} while "
                             f"we found {len(filenames)} files in directory {directory}.")
        class_names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if labels is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if labels is not None:
            labels = np.asarray(labels)
            np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def _training_or_validation(samples, labels, validation_split, subset, verbose=True):
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_val} files for training.")
        samples = samples[:-num_val] if num_val else samples
        labels = labels if labels is None else (labels[:-num_val] if num_val else labels)
    elif subset == "validation":
        if verbose:
            print(f"Using {num_val} files for validation.")
        samples = samples[-num_val:] if num_val else samples[:0]
        labels = labels if labels is None else (labels[-num_val:] if num_val else labels[:0])
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples, labels


def _encode_labels(labels, label_mode, num_classes):
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")


class _FileLoader:
    """Reads the files at ``indices`` with ``read_one`` and stacks them with
    their encoded labels (picklable, for worker processes)."""

    def __init__(self, paths, labels, label_mode, num_classes, read_one, stack):
        self.paths, self.labels = list(paths), labels
        self.label_mode, self.num_classes = label_mode, num_classes
        self.read_one, self.stack = read_one, stack

    def __call__(self, indices):
        samples = self.stack([self.read_one(self.paths[i]) for i in indices])
        if not self.label_mode:
            return samples
        return samples, _encode_labels(np.asarray(self.labels)[np.asarray(indices, dtype=int)],
                                       self.label_mode, self.num_classes)


def _files_dataset(kind, directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                   validation_split, subset, follow_links, verbose, formats, read_one, stack):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError("`labels` argument should be a list/tuple of integer labels, of "
                             "the same size as the number of files in the target directory. "
                             "If you wish to infer the labels from the subdirectory names in "
                             'the target directory, pass `labels="inferred"`. If you wish to '
                             "get a dataset that only contains the files (no labels), pass "
                             f"`labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError("You can only pass `class_names` if `labels='inferred'`. "
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')
    if labels is None or label_mode is None:
        labels = None
        label_mode = None
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, found_labels, class_names = index_directory(
        directory, labels, formats=formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")
    num_classes = len(class_names) if class_names else 0

    def make(subset_name, shuffled):
        subset_paths, subset_labels = _training_or_validation(
            paths, found_labels, validation_split, subset_name, verbose)
        if not subset_paths:
            which = {"training": "training ", "validation": "validation "}.get(
                subset_name if subset == "both" else None, "")
            raise ValueError(f"No {which}{kind} found in directory {directory}. "
                             f"Allowed formats: {formats}")
        loader = _FileLoader(subset_paths, subset_labels, label_mode, num_classes, read_one,
                             stack)
        return SampleDataset(len(subset_paths), loader, batch_size=batch_size,
                             shuffle=shuffled, seed=seed, class_names=class_names,
                             file_paths=list(subset_paths))
    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


# images


class _ImageReader:
    def __init__(self, image_size, num_channels, interpolation, data_format, crop, pad):
        self.image_size, self.num_channels = tuple(image_size), num_channels
        self.interpolation, self.data_format = interpolation, data_format
        self.crop, self.pad = crop, pad

    def __call__(self, path):
        from PIL import Image
        from brickwork import ops
        with Image.open(path) as img:
            if self.num_channels == 1:
                if img.mode not in ("L", "I;16", "I"):
                    img = img.convert("L")
            elif self.num_channels == 4:
                if img.mode != "RGBA":
                    img = img.convert("RGBA")
            elif img.mode != "RGB":
                img = img.convert("RGB")
            array = np.asarray(img, dtype="float32")
        if array.ndim == 2:
            array = array[:, :, None]
        if self.data_format == "channels_first":
            array = np.transpose(array, (2, 0, 1))
        resized = ops.image.resize(array, self.image_size, interpolation=self.interpolation,
                                   crop_to_aspect_ratio=self.crop, pad_to_aspect_ratio=self.pad,
                                   data_format=self.data_format)
        return ops.convert_to_numpy(resized).astype("float32")


def _stack(samples):
    return np.stack(samples)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """Images in ``directory`` (one subdirectory per class), as
    ``keras.utils.image_dataset_from_directory``: float32 batches of
    ``image_size`` (Pillow decodes; ``ops.image.resize`` resizes), with labels
    per ``label_mode`` (``"int"``, ``"categorical"``, ``"binary"``, None).
    Formats: .bmp, .gif, .jpeg, .jpg, .png. ``format`` (Keras's choice
    between a tf.data and a grain data set) is accepted: brickwork returns its
    own data set either way."""
    _check_format("image_dataset_from_directory", format)
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}
    if color_mode not in channels:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set "
                         "to `True`.")
    from brickwork import backend
    data_format = (data_format or backend.image_data_format()).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    reader = _ImageReader(image_size, channels[color_mode], interpolation, data_format,
                          crop_to_aspect_ratio, pad_to_aspect_ratio)
    return _files_dataset("images", directory, labels, label_mode, class_names, batch_size,
                          shuffle, seed, validation_split, subset, follow_links, verbose,
                          IMAGE_FORMATS, reader, _stack)


# text


class _TextReader:
    def __init__(self, max_length):
        self.max_length = max_length

    def __call__(self, path):
        with open(path, "r") as f:
            text = f.read()
        return text if self.max_length is None else text[:self.max_length]


def _stack_strings(samples):
    array = np.empty(len(samples), dtype=object)
    array[:] = samples
    return array


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                format="tf", verbose=True):
    """Text files (.txt) in ``directory``, as
    ``keras.utils.text_dataset_from_directory``: batches of Python strings
    (an object array; ``max_length`` keeps that many characters), with labels.
    ``format`` is accepted as in :func:`image_dataset_from_directory`."""
    _check_format("text_dataset_from_directory", format)
    return _files_dataset("text files", directory, labels, label_mode, class_names, batch_size,
                          shuffle, seed, validation_split, subset, follow_links, verbose,
                          TEXT_FORMATS, _TextReader(max_length), _stack_strings)


# audio


def read_wav(path):
    """``(samples, sample_rate)``: a float32 ``(length, channels)`` array in
    [-1, 1) as ``tf.audio.decode_wav`` gives it (8-, 16-, 24- and 32-bit PCM)."""
    with wave.open(str(path), "rb") as f:
        channels, width, rate = f.getnchannels(), f.getsampwidth(), f.getframerate()
        raw = f.readframes(f.getnframes())
    if width == 1:
        values = (np.frombuffer(raw, dtype=np.uint8).astype("float32") - 128.0) / 128.0
    elif width == 2:
        values = np.frombuffer(raw, dtype="<i2").astype("float32") / 32768.0
    elif width == 3:
        bytes_ = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = bytes_[:, 0] | (bytes_[:, 1] << 8) | (bytes_[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        values = ints.astype("float32") / float(1 << 23)
    elif width == 4:
        values = (np.frombuffer(raw, dtype="<i4").astype("float64") / 2.0**31).astype("float32")
    else:
        raise ValueError(f"{path}: unsupported sample width of {width} bytes")
    return values.reshape(-1, channels), rate


class _AudioReader:
    def __init__(self, sampling_rate, output_sequence_length):
        self.sampling_rate = sampling_rate
        self.output_sequence_length = output_sequence_length

    def __call__(self, path):
        audio, rate = read_wav(path)
        if self.sampling_rate is not None and rate != self.sampling_rate:
            raise ValueError(f"{path} is sampled at {rate} Hz, not at sampling_rate="
                             f"{self.sampling_rate}: brickwork does not resample audio.")
        if self.output_sequence_length is not None:
            audio = audio[:self.output_sequence_length]
        return audio


class _PadStack:
    """Zero-pads the clips of a batch to the longest (or to
    ``output_sequence_length``), as Keras's ``padded_batch``."""

    def __init__(self, output_sequence_length):
        self.output_sequence_length = output_sequence_length

    def __call__(self, samples):
        length = self.output_sequence_length or max(s.shape[0] for s in samples)
        channels = samples[0].shape[1]
        batch = np.zeros((len(samples), length, channels), dtype="float32")
        for i, sample in enumerate(samples):
            if sample.shape[1] != channels:
                raise ValueError("The audio files of a batch must have the same number of "
                                 f"channels; found {channels} and {sample.shape[1]}.")
            batch[i, :sample.shape[0]] = sample
        return batch


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """WAV files in ``directory``, as ``keras.utils.audio_dataset_from_directory``:
    float32 batches ``(batch, length, channels)`` zero-padded to the longest
    clip of the batch, or cut/padded to ``output_sequence_length``.
    ``sampling_rate``, when given, must be the files' rate (no resampling);
    ``ragged=True`` is not supported."""
    if ragged:
        if output_sequence_length is not None:
            raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
        raise ValueError("`ragged=True` is not supported: brickwork has no ragged tensors; "
                         "pass output_sequence_length or let batches be zero-padded.")
    if sampling_rate is not None and (not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(f"`sampling_rate` should be a positive integer. Received: "
                         f"sampling_rate={sampling_rate}")
    return _files_dataset("audio files", directory, labels, label_mode, class_names,
                          batch_size, shuffle, seed, validation_split, subset, follow_links,
                          verbose, AUDIO_FORMATS,
                          _AudioReader(sampling_rate, output_sequence_length),
                          _PadStack(output_sequence_length))


# -- split_dataset ----------------------------------------------------------------


def _rescale_split_sizes(left_size, right_size, total_length):
    """Keras's rules: a float is a fraction (rounded), an int a count; None
    is the complement; both sides must end up non-empty."""
    types = (int, float)
    if (left_size is not None and type(left_size) not in types) and \
            (right_size is not None and type(right_size) not in types):
        raise TypeError("Invalid `left_size` and `right_size` Types. Expected: integer or "
                        f"float or None, Received: type(left_size)={type(left_size)} and "
                        f"type(right_size)={type(right_size)}")
    if left_size is not None and type(left_size) not in types:
        raise TypeError("Invalid `left_size` Type. Expected: int or float or None, Received: "
                        f"type(left_size)={type(left_size)}.  ")
    if right_size is not None and type(right_size) not in types:
        raise TypeError("Invalid `right_size` Type. Expected: int or float or None,Received: "
                        f"type(right_size)={type(right_size)}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split "
                         "sizes must be non-zero.")
    for size, side, extra in ((left_size, "left", ""), (right_size, "right", "and ")):
        if (type(size) is int and (size <= 0 or size >= total_length)) or \
                (type(size) is float and (size <= 0 or size >= 1)):
            raise ValueError(f"`{side}_size` should be either a positive integer {extra}smaller "
                             f"than {total_length}, or a float within the range `[0, 1]`. "
                             f"Received: {side}_size={size}")
    if type(right_size) is type(left_size) is float and right_size + left_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must "
                         "be less than or equal to 1.")
    left = round(left_size * total_length) if type(left_size) is float else (
        float(left_size) if type(left_size) is int else None)
    right = round(right_size * total_length) if type(right_size) is float else (
        float(right_size) if type(right_size) is int else None)
    if left is None:
        left = total_length - right
    elif right is None:
        right = total_length - left
    if left + right > total_length:
        raise ValueError("The sum of `left_size` and `right_size` should be smaller than the "
                         f"{total_length}. Received: left_size + right_size = {left + right}"
                         f"and total_length = {total_length}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"With `dataset` of length={total_length}, `left_size`={left} and "
                             f"`right_size`={right}.Resulting {side} side dataset split will be "
                             "empty. Adjust any of the aforementioned parameters")
    return int(left), int(right)


def _samples_of(dataset):
    """``(structure, count)`` of stacked arrays from what split_dataset takes."""
    if isinstance(dataset, SampleDataset):
        return dataset.as_arrays(), dataset.num_samples
    if isinstance(dataset, np.ndarray) or (hasattr(dataset, "shape") and hasattr(dataset, "dtype")):
        return dataset, len(dataset)
    if isinstance(dataset, (list, tuple)):
        if not dataset:
            raise ValueError("`dataset` is empty.")
        arrays = tuple(np.asarray(part) for part in dataset)
        sizes = {len(a) for a in arrays}
        if len(sizes) != 1:
            raise ValueError("Length of elements in the `dataset` must be the same. Received: "
                             f"lengths {sorted(sizes)}")
        return arrays, sizes.pop()
    if isinstance(dataset, dict):
        arrays = {k: np.asarray(v) for k, v in dataset.items()}
        return arrays, len(next(iter(arrays.values())))
    if hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__"):  # a torch Dataset
        samples = [dataset[i] for i in range(len(dataset))]
    elif hasattr(dataset, "__iter__"):
        samples = list(dataset)
    else:
        raise TypeError("The `dataset` argument must be either a brickwork data set, a "
                        "(torch) Dataset, an iterable of samples, or a list/tuple of arrays. "
                        f"Received: dataset={dataset} of type {type(dataset)}")
    if not samples:
        raise ValueError("`dataset` is empty.")
    from brickwork.trainers.data_adapters.base import to_numpy
    samples = [tree.map_structure(to_numpy, tuple(s) if isinstance(s, list) else s)
               for s in samples]
    flat = [tree.flatten(s) for s in samples]
    stacked = [np.stack(parts) for parts in zip(*flat)]
    return tree.pack_sequence_as(samples[0], stacked), len(samples)


def _check_format(function, format):
    if format not in ("tf", "grain"):
        raise ValueError(f"{function}: `format` must be 'tf' or 'grain', got {format!r}.")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split samples into a left and a right data set (``keras.utils.split_dataset``).

    ``dataset``: an array, a list/tuple of arrays of one length, a dict of
    arrays, a brickwork data set (its samples), a torch ``Dataset`` or an
    iterable of samples (``preferred_backend``, Keras's choice of tf.data or
    grain output, is accepted: the result is brickwork's data set). Sizes: a float is a fraction, an int a count, None
    the rest. With ``shuffle`` the samples are shuffled first by
    ``random.seed(seed); random.shuffle`` as Keras does. Returns two unbatched
    :class:`SampleDataset` (call ``.batch(n)`` before ``fit``); a batched
    brickwork data set gives batched halves with its batch size.
    """
    if right_size is None and left_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    arrays, total = _samples_of(dataset)
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        state = random.getstate()
        random.seed(seed)
        random.shuffle(order)
        random.setstate(state)
    left, right = _rescale_split_sizes(left_size, right_size, total)
    batch_size = dataset.batch_size if isinstance(dataset, SampleDataset) else None

    def part(indices):
        indices = np.asarray(indices, dtype=int)
        taken = tree.map_structure(lambda a: np.asarray(a)[indices], arrays)
        return SampleDataset(len(indices), _Take(taken), batch_size=batch_size)
    return part(order[:left]), part(order[total - right:])


class _Take:
    def __init__(self, arrays):
        self.arrays = arrays

    def __call__(self, indices):
        return tree.map_structure(lambda a: a[indices], self.arrays)
