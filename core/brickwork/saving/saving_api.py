"""Public saving functions, with Keras 3's names, arguments and file-name rules."""
from __future__ import annotations

import os

from brickwork.saving import saving_lib

_LEGACY_SUFFIXES = (".h5", ".hdf5")


def _path_string(filepath):
    return os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None


def _check_regular_file(path, what):
    """Refuse what is not a regular file (after links): a FIFO would block
    the read forever, a device such as /dev/zero would be read until memory
    runs out."""
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(f"{what}: {path} is not a regular file (it is a folder, a pipe or a "
                         f"device); pass the path of a saved file.")


def _check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} already exists; pass overwrite=True to replace it.")


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save a model as a Keras 3 ``.keras`` archive (or into an open binary file);
    to a ``.h5``/``.hdf5`` path, in the legacy HDF5 format as Keras 3 does, with
    its warning (keyword ``include_optimizer``, default True)."""
    path = _path_string(filepath)
    legacy = path is not None and path.endswith(_LEGACY_SUFFIXES) \
        and not path.endswith(".weights.h5")
    if kwargs and not (legacy and set(kwargs) <= {"include_optimizer"}):
        raise ValueError(f"save_model: unexpected keyword arguments {sorted(kwargs)}. The "
                         f"`.keras` format takes none (they belonged to the legacy formats).")
    if zipped is False:
        raise ValueError("save_model: zipped=False (an unzipped model folder) is not "
                         "supported; save to a `.keras` file.")
    if path is None:
        saving_lib.save_model(model, filepath)
        return
    if path.endswith(_LEGACY_SUFFIXES) and not path.endswith(".weights.h5"):
        from brickwork.saving import legacy_h5_writer
        _check_overwrite(path, overwrite)
        legacy_h5_writer.save_model(model, path, **kwargs)
        return
    if not path.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add a `.keras` "
                         f"extension. Received: filepath={path}")
    _check_overwrite(path, overwrite)
    _warn_if_unbuilt(model)
    saving_lib.save_model(model, path)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model from a ``.keras`` archive (brickwork's or Keras 3's) or a
    legacy ``.h5`` file (tf.keras 2's or Keras 3's legacy writer's).

    The file is treated as untrusted: a file that cannot be loaded raises
    ``brickwork.saving.LoadError`` (a ``ValueError``), and one that would make
    the loader allocate more than ``brickwork.saving.get_max_load_bytes()``
    (256 MiB by default) beyond the weights it stores raises
    ``LoadLimitError`` before allocating; raise the limit for a trusted file
    with ``brickwork.saving.set_max_load_bytes(n)`` or the environment
    variable ``BRICKWORK_MAX_LOAD_BYTES``."""
    path = _path_string(filepath)
    if path is None:
        return saving_lib.load_model(filepath, custom_objects, compile, safe_mode)
    if not os.path.exists(path):
        raise ValueError(f"File not found: filepath={path}. Please ensure the file is an "
                         f"accessible `.keras` zip file.")
    _check_regular_file(path, "load_model")
    if path.endswith(".weights.h5"):
        raise ValueError(f"{path} holds only weights: build the model, then call "
                         f"`model.load_weights({path!r})`.")
    if path.endswith(_LEGACY_SUFFIXES):
        from brickwork.saving import legacy_h5
        return legacy_h5.load_model(path, custom_objects, compile, safe_mode)
    if not path.endswith(".keras"):
        raise ValueError(f"File format not supported: filepath={path}. brickwork loads Keras 3 "
                         f"`.keras` files and legacy `.h5` files (the SavedModel format is "
                         f"not supported).")
    return saving_lib.load_model(path, custom_objects, compile, safe_mode)


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    """Save every variable (the optimizer's included) to a ``.weights.h5`` file."""
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError("save_weights: sharded weights (`max_shard_size`) are not supported.")
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not model.built:
        raise ValueError(f"You are saving model {model.name!r}, which has not yet been built. "
                         f"Build it first by calling it on some data or by using `build()`.")
    _check_overwrite(path, overwrite)
    saving_lib.save_weights_file(model, path)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load variables from a ``.weights.h5`` file, a ``.keras`` archive or a
    legacy ``.h5`` file (by layer order, or with ``by_name=True`` into the
    layers of the same name) into a built model; nothing changes on failure
    unless ``skip_mismatch``, which loads what fits and warns about the rest. Failures raise
    ``brickwork.saving.LoadError``; a dataset that declares more than it
    stores beyond the load limit is refused unread (see ``load_model``)."""
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        raise ValueError(f"load_weights: unexpected keyword arguments {sorted(kwargs)}")
    path = os.fspath(filepath)
    legacy = path.endswith(_LEGACY_SUFFIXES) and not path.endswith(".weights.h5")
    if by_name and not legacy:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
                         f"Received: {path}")
    if not (legacy or path.endswith(".weights.h5") or path.endswith(".keras")):
        raise ValueError(f"File format not supported: filepath={path}. brickwork loads weights "
                         f"from `.weights.h5`, `.keras` and legacy `.h5` files.")
    if not os.path.exists(path):
        raise ValueError(f"File not found: filepath={path}.")
    _check_regular_file(path, "load_weights")
    if not model.built:
        raise ValueError(f"You are loading weights into model {model.name!r}, which has not "
                         f"yet been built. Build it first by calling it on some data or by "
                         f"using `build()`.")
    if legacy:
        from brickwork.saving import legacy_h5
        legacy_h5.load_weights(model, path, skip_mismatch, by_name=by_name)
        return
    saving_lib.load_weights_file(model, path, skip_mismatch)


def _warn_if_unbuilt(model):
    if not getattr(model, "built", True):
        import warnings
        warnings.warn("You are saving a model that has not yet been built. It might not "
                      "contain any weights yet. Consider building the model first by calling "
                      "it on some data.", stacklevel=3)
