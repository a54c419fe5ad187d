"""The HDF5 variable store of Keras 3 weight files (``model.weights.h5``).

Each saveable object owns a group ``<path>/vars`` (the root object:
``/vars``) holding datasets ``"0"``, ``"1"``, ... and the attribute
``name``. Reading refuses what a hostile file could use against the reader:
links (soft or external), external or virtual datasets, non-numeric dtypes
and datasets that declare more bytes than the file stores (beyond the load
limit of ``load_limits``), each before it is read.
"""
from __future__ import annotations

import io
import math

import h5py
import numpy as np

from brickwork.saving import load_limits
from brickwork.saving.errors import WeightsFileError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: A dataset declaring more than this many bytes must store at least
#: 1/_MAX_EXPANSION of them (Keras' CVE-2026-0897 guard uses 4 GiB and 1000).
DATASET_BOMB_FLOOR_BYTES = 1 << 32
_MAX_EXPANSION = 1000
_NUMERIC_KINDS = "biuf"
#: What h5py raises for a file HDF5 cannot make sense of.
_HDF5_ERRORS = (RuntimeError, OSError, KeyError, ValueError, TypeError, OverflowError)


class H5WriteStore:
    """Writes groups and datasets into an open ``h5py.File``."""

    def __init__(self, h5_file):
        self.h5_file = h5_file

    def make(self, path, metadata=None):
        group = self.h5_file.create_group(f"{path}/vars" if path else "vars")
        for key, value in (metadata or {}).items():
            group.attrs[key] = value
        return _WriteEntry(group)


class _WriteEntry:
    def __init__(self, group):
        self.group = group

    def __setitem__(self, key, value):
        self.group.create_dataset(str(key), data=np.asarray(value))

    def keys(self):
        return self.group.keys()

    def __len__(self):
        return len(self.group)


class H5ReadStore:
    """Reads ``<path>/vars`` groups from an open ``h5py.File``; a missing
    group reads as an empty store (a layer without weights)."""

    def __init__(self, h5_file, source="weights file"):
        self.h5_file = h5_file
        self.source = source

    def has_path(self, path):
        return bool(path) and path in self.h5_file

    def stored_datasets(self):
        """``(shape, stored element count)`` of every numeric dataset, read
        from the file's metadata (no data is read)."""
        try:
            return stored_datasets(self.h5_file)
        except _HDF5_ERRORS as exc:  # a corrupt file: HDF5 cannot walk it
            raise WeightsFileError(f"{self.source} is a corrupt HDF5 file: "
                                   f"{type(exc).__name__}: {exc}") from exc

    def get(self, path):
        group_path = f"{path}/vars" if path else "vars"
        group = _safe_group(self.h5_file, group_path, self.source)
        return _ReadEntry(group, group_path, self.source)


def _safe_group(root, path, source):
    """The group at ``path`` or None; links and non-groups are refused."""
    current = root
    for part in path.split("/"):
        if not part or part in (".", ".."):
            raise WeightsFileError(f"Invalid path {path!r} in {source}")
        if part not in current:
            return None
        link = current.get(part, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise WeightsFileError(f"Not allowed: {source} has a {type(link).__name__} at "
                                   f"{path!r}")
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise WeightsFileError(f"Invalid {source}: expected a group at {path!r}, found "
                                   f"{type(current).__name__}")
    return current


class _ReadEntry:
    def __init__(self, group, path, source):
        self.group = group
        self.path = path
        self.source = source

    def keys(self):
        return list(self.group.keys()) if self.group is not None else []

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return self.group is not None and str(key) in self.group

    def __getitem__(self, key):
        key = str(key)
        where = f"{self.path}/{key}"
        if self.group is None or key not in self.group:
            raise KeyError(f"No dataset {where!r} in {self.source}")
        link = self.group.get(key, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise WeightsFileError(f"Not allowed: {self.source} has a {type(link).__name__} at "
                                   f"{where!r}")
        dataset = self.group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise WeightsFileError(f"Invalid {self.source}: expected a dataset at {where!r}")
        return read_dataset(dataset, where, self.source)


def stored_datasets(h5_file):
    """``(shape, stored element count)`` for each numeric dataset in the file
    (reached through hard links; no data is read)."""
    found = []

    def note(_name, obj):
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in _NUMERIC_KINDS \
                and obj.shape is not None:
            declared = math.prod(obj.shape)
            stored = obj.id.get_storage_size() // max(obj.dtype.itemsize, 1)
            found.append((tuple(obj.shape), min(declared, stored)))

    h5_file.visititems(note)
    return found


def read_dataset(dataset, where, source):
    """The dataset as a NumPy array, after the safety checks."""
    if dataset.external:
        raise WeightsFileError(f"Not allowed: external dataset {where!r} in {source}")
    if dataset.is_virtual:
        raise WeightsFileError(f"Not allowed: virtual dataset {where!r} in {source}")
    if dataset.dtype.kind not in _NUMERIC_KINDS:
        raise WeightsFileError(f"Dataset {where!r} in {source} has non-numeric dtype "
                               f"{dataset.dtype}")
    declared = math.prod(dataset.shape or ()) * dataset.dtype.itemsize
    stored = dataset.id.get_storage_size()
    if declared > DATASET_BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * stored:
        raise WeightsFileError(
            f"Not allowed: dataset {where!r} in {source} declares {declared} bytes but stores "
            f"only {stored}; refusing to load a potential decompression bomb.")
    if declared > stored:  # a compressed or never-written dataset
        load_limits.check_unstored(declared - stored, f"reading dataset {where!r}",
                                   f"it declares {declared} bytes and stores {stored}", source)
    return np.asarray(dataset[()])


def open_h5_bytes(data: bytes, source):
    """An ``h5py.File`` over in-memory bytes, after checking the signature."""
    if not data.startswith(HDF5_SIGNATURE):
        raise WeightsFileError(f"{source} is not an HDF5 file (bad signature)")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except _HDF5_ERRORS as exc:
        raise WeightsFileError(f"{source} is not a readable HDF5 file: {exc}") from exc


def open_h5_path(path, source):
    """An ``h5py.File`` opened read-only from disk, after checking the signature."""
    with open(path, "rb") as handle:
        if handle.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
            raise WeightsFileError(f"{source} is not an HDF5 file (bad signature)")
    try:
        return h5py.File(path, "r")
    except _HDF5_ERRORS as exc:
        raise WeightsFileError(f"{source} is not a readable HDF5 file: {exc}") from exc
