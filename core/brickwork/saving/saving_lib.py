"""The Keras 3 ``.keras`` archive: an uncompressed zip holding
``metadata.json``, ``config.json`` (the model's serialized config, with its
build and compile configs) and ``model.weights.h5`` (every variable, the
optimizer's included, at the paths ``state_walk`` assigns).

Reading treats the file as untrusted: member names, declared sizes, CRCs,
the HDF5 signature and the config are checked before anything is built, what
the file may make the loader allocate is bounded (``load_limits``), and every
failure surfaces as the loader's own ``LoadError`` (a ``ValueError``; also a
``TypeError`` for a class that cannot be located) that says what is wrong.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import posixpath
import zipfile

import h5py

from brickwork.saving import object_registration, safe_mode as safe_mode_lib
from brickwork.saving import assets, load_limits, state_walk, weights_store
from brickwork.saving.atomic import atomic_write
from brickwork.saving.errors import (ArchiveError, ConfigError, LoadError, LoadLimitError,
                                     WeightsFileError, as_config_error, loader_error_in)
from brickwork.saving.serialization import (deserialize_keras_object, object_sharing_scope,
                                            serialize_keras_object)

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
#: The Keras release whose format brickwork writes (recorded in metadata.json).
KERAS_FORMAT_VERSION = "3.15.0"

#: Bounds on what an archive may make us read into memory.
MAX_MEMBERS = 10_000
MAX_JSON_BYTES = 256 << 20
ZIP_BOMB_FLOOR_BYTES = 1 << 32
_ZIP_MAX_EXPANSION = 100
_READ_CHUNK_BYTES = 1 << 20


# -- saving -------------------------------------------------------------------------


def serialize_model(model):
    """``(config_json, metadata_json)`` strings for ``model``."""
    from brickwork import __version__
    with object_sharing_scope():
        config_json = json.dumps(serialize_keras_object(model))
    metadata_json = json.dumps({
        "keras_version": KERAS_FORMAT_VERSION,
        "brickwork_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    })
    return config_json, metadata_json


def weights_bytes(model):
    """The model's ``model.weights.h5`` as bytes."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5_file:
        state_walk.save_state(model, weights_store.H5WriteStore(h5_file))
    return buffer.getvalue()


def write_archive(model, fileobj):
    """Write the archive for ``model`` into an open binary file."""
    config_json, metadata_json = serialize_model(model)
    weights = weights_bytes(model)
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA_FILENAME, metadata_json)
        archive.writestr(CONFIG_FILENAME, config_json)
        archive.writestr(WEIGHTS_FILENAME, weights)
        assets.write_assets(model, archive)


def save_model(model, filepath):
    """Save ``model`` to a ``.keras`` path (atomically) or an open binary file."""
    if hasattr(filepath, "write"):
        write_archive(model, filepath)
        return
    with atomic_write(filepath) as handle:
        write_archive(model, handle)


def save_weights_file(model, filepath):
    """Write only the variables (model and optimizer) to a ``.weights.h5`` file."""
    with atomic_write(filepath) as handle:
        handle.write(weights_bytes(model))


# -- reading ------------------------------------------------------------------------


def _check_member_names(archive, source):
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{source} has {len(infos)} members; refusing more than "
                           f"{MAX_MEMBERS}")
    seen = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (name.startswith(("/", "\\")) or ".." in parts or "\x00" in name
                or (len(name) > 1 and name[1] == ":") or posixpath.isabs(name)):
            raise ArchiveError(f"Not allowed: {source} has a member named {name!r}, which "
                               f"escapes the archive (path traversal)")
        if name in seen:
            raise ArchiveError(f"{source} has two members named {name!r}")
        seen.add(name)


def _check_member_size(archive, name, source, archive_size, limit=None):
    info = archive.getinfo(name)
    if archive_size is not None and info.compress_size > archive_size:
        raise ArchiveError(f"{source}: member {name!r} declares {info.compress_size} stored "
                           f"bytes, more than the whole file ({archive_size} bytes); the "
                           f"archive is truncated or corrupt")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise ArchiveError(f"{source}: stored member {name!r} declares {info.file_size} bytes "
                           f"but occupies {info.compress_size}; the archive is corrupt")
    if info.file_size > ZIP_BOMB_FLOOR_BYTES and \
            info.file_size > _ZIP_MAX_EXPANSION * max(info.compress_size, 1):
        raise ArchiveError(f"Not allowed: {source} member {name!r} declares {info.file_size} "
                           f"bytes but stores only {info.compress_size}; refusing a potential "
                           f"decompression bomb")
    if limit is not None and info.file_size > limit:
        raise ArchiveError(f"{source}: member {name!r} is {info.file_size} bytes, more than "
                           f"the {limit} allowed for it")
    return info


def _read_member(archive, name, source, archive_size, limit=None, on_chunk=None):
    """A member's bytes, bounded by its declared size and CRC-checked;
    ``on_chunk(bytes)`` sees each piece as it is read (and may refuse)."""
    if name not in archive.namelist():
        raise ArchiveError(f"{source} is not a complete Keras archive: member {name!r} is "
                           f"missing (found {archive.namelist()})")
    info = _check_member_size(archive, name, source, archive_size, limit)
    if on_chunk is None:  # else the caller accounts for what it reads
        _check_decompressed_size(info, source)
    try:
        with archive.open(name, "r") as member:
            data = _read_chunks(member, info.file_size + 1, on_chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        if isinstance(exc, LoadError):
            raise
        raise ArchiveError(f"{source}: cannot read member {name!r}: {exc}") from exc
    if len(data) != info.file_size:
        raise ArchiveError(f"{source}: member {name!r} holds {len(data)} bytes but declares "
                           f"{info.file_size}")
    return data


def _read_chunks(member, most, on_chunk):
    if on_chunk is None:
        return member.read(most)
    chunks, total = [], 0
    while total < most:
        chunk = member.read(min(_READ_CHUNK_BYTES, most - total))
        if not chunk:
            break
        on_chunk(chunk)
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _check_decompressed_size(info, source):
    """A compressed member is charged what it declares beyond what it stores
    (a stored member is as large on disk as in memory)."""
    unstored = info.file_size - info.compress_size
    if unstored > 0:
        load_limits.charge(unstored, f"decompressing member {info.filename!r}",
                           f"the archive stores only {info.compress_size} bytes of its "
                           f"{info.file_size}", source)


def _read_json(archive, name, source, archive_size):
    """A member parsed as a JSON object, refused before parsing (indeed
    while it is read) if its objects would take more memory than the load
    may allocate."""
    declared = archive.getinfo(name).file_size if name in archive.namelist() else None
    cost = load_limits.JsonCostEstimate(declared)
    budget = load_limits.active_budget() or load_limits.LoadBudget(source)

    def refuse_if_too_costly(chunk):
        cost.feed(chunk)
        budget.check(cost.estimate, _parsing(name, cost), _JSON_COST_REASON, cost.projected)

    data = _read_member(archive, name, source, archive_size, MAX_JSON_BYTES,
                        on_chunk=refuse_if_too_costly)
    budget.charge(cost.estimate, _parsing(name, cost), _JSON_COST_REASON)
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArchiveError(f"{source}: {name} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ArchiveError(f"{source}: {name} must hold a JSON object, found "
                           f"{type(value).__name__}")
    return value


_JSON_COST_REASON = "an upper estimate of what its objects take in memory"


def _parsing(name, cost):
    of_total = f" of {cost.total_bytes}" if cost.total_bytes else ""
    return (f"parsing {name} ({cost.text_bytes}{of_total} bytes read, up to {cost.values} "
            f"values)")


def open_archive(fileobj, source):
    """A ``ZipFile`` for reading, with member names checked."""
    try:
        archive = zipfile.ZipFile(fileobj, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError) as exc:
        raise ArchiveError(f"{source} is not a valid .keras archive (a truncated or corrupt "
                           f"zip file?): {exc}") from exc
    try:
        _check_member_names(archive, source)
    except BaseException:
        archive.close()
        raise
    return archive


def _size_of(fileobj):
    try:
        position = fileobj.tell()
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def model_from_config_dict(config, custom_objects=None, compile=True, safe_mode=True,
                           source="the archive"):
    """Rebuild the model a ``config.json`` dict describes (no weights)."""
    from brickwork import layers, models  # noqa: F401  (registers the built-in classes)
    from brickwork.layers.layer import Layer
    config = dict(config)
    if not compile:
        config.pop("compile_config", None)
    with object_registration.CustomObjectScope(custom_objects), \
            safe_mode_lib.SafeModeScope(safe_mode), object_sharing_scope():
        model = _deserialize_guarded(config, custom_objects, source)
    if not isinstance(model, Layer):
        raise ArchiveError(f"The config of {source} describes a {type(model).__name__}, not "
                           f"a model or layer")
    return model


def _deserialize_guarded(config, custom_objects, source):
    """Deserialize; every error a config can cause (an unknown class, an
    invalid argument, a missing key, a wrong type deep inside, whatever layer
    code raises on arguments it cannot make sense of) becomes the loader's
    own error, its message kept. A MemoryError is left alone: the load limits
    are there to prevent it, and hiding one would hide their gap."""
    try:
        return deserialize_keras_object(config, custom_objects=custom_objects, kind="model")
    except (ValueError, TypeError) as exc:
        raise as_config_error(exc, source) from exc
    except MemoryError:
        raise
    except Exception as exc:
        refusal = loader_error_in(exc)
        if refusal is not None:
            raise refusal from None
        raise ConfigError(f"The model config of {source} is invalid: "
                          f"{type(exc).__name__}: {exc}") from exc


def load_archive(fileobj, source, custom_objects=None, compile=True, safe_mode=True):
    """The model stored in an open ``.keras`` archive file.

    The weights file is opened before the model is rebuilt, so that every
    variable the config declares is checked against the datasets it stores
    before it is allocated (``load_limits``)."""
    archive_size = _size_of(fileobj)
    label = f"{source}:{WEIGHTS_FILENAME}"
    with load_limits.LoadBudget(source) as budget:
        with open_archive(fileobj, source) as archive:
            config = _read_json(archive, CONFIG_FILENAME, source, archive_size)
            weights = _read_member(archive, WEIGHTS_FILENAME, source, archive_size)
            asset_files = {name: _read_member(archive, name, source, archive_size)
                           for name in assets.asset_members(archive)}
        with weights_store.open_h5_bytes(weights, label) as h5_file:
            store = weights_store.H5ReadStore(h5_file, label)
            budget.back_variables_with(store.stored_datasets())
            model = model_from_config_dict(config, custom_objects, compile, safe_mode, source)
            load_state_checked(model, store)
        assets.load_assets(model, asset_files, source)
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    if hasattr(filepath, "read"):
        return load_archive(filepath, "the archive", custom_objects, compile, safe_mode)
    source = os.fspath(filepath)
    with open(source, "rb") as handle:
        return load_archive(handle, source, custom_objects, compile, safe_mode)


def load_state_checked(model, store, skip_mismatch=False):
    """Load every variable; on failure restore the previous values and raise
    one error listing every object that did not load (with ``skip_mismatch``:
    keep what loaded and warn instead)."""
    import warnings
    variables = _all_variables(model)
    before = [(variable, variable.numpy()) for variable in variables]
    report = state_walk.LoadReport()
    try:
        state_walk.load_state(model, store, report=report)
    except LoadLimitError:
        _restore(before)
        raise
    if not report.errors:
        return
    if skip_mismatch:
        warnings.warn(f"Skipped loading some weights: {report.message()}", stacklevel=3)
        return
    _restore(before)
    raise WeightsFileError(f"Could not load weights from {store.source}. {report.message()}")


def _restore(saved_values):
    for variable, value in saved_values:
        variable.assign(value)


def _all_variables(model):
    found = list(model.weights)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        found.extend(optimizer.variables)
    return found


def load_weights_file(model, filepath, skip_mismatch=False):
    """Load variables from a ``.weights.h5`` file or a ``.keras`` archive."""
    source = os.fspath(filepath)
    with load_limits.LoadBudget(source):
        if source.endswith(".keras"):
            with open(source, "rb") as handle:
                archive_size = _size_of(handle)
                with open_archive(handle, source) as archive:
                    weights = _read_member(archive, WEIGHTS_FILENAME, source, archive_size)
            label = f"{source}:{WEIGHTS_FILENAME}"
            h5_file = weights_store.open_h5_bytes(weights, label)
        else:
            label = source
            h5_file = weights_store.open_h5_path(source, source)
        with h5_file:
            load_state_checked(model, weights_store.H5ReadStore(h5_file, label), skip_mismatch)
