"""The ``assets/`` folder of a ``.keras`` archive, as Keras 3 writes it.

An object with ``save_assets(dir_path)`` (a lookup layer's vocabulary, for
instance) writes files into a folder of its own, at the same path its
variables have in ``model.weights.h5`` (``assets/layers/string_lookup/
vocabulary.txt``); on loading, ``load_assets(dir_path)`` reads them back,
after the variables. The walk is ``state_walk``'s, so the paths are Keras's.
"""
from __future__ import annotations

import os
import tempfile

from brickwork.saving import state_walk
from brickwork.saving.errors import LoadError

ASSETS_DIRNAME = "assets"


def _with_method(obj, method, path="", visited=None, visited_containers=None):
    """``(path, object)`` for every saveable under ``obj`` that has ``method``."""
    visited = set() if visited is None else visited
    visited_containers = {} if visited_containers is None else visited_containers
    if id(obj) in visited:
        return
    if hasattr(obj, method):
        yield path, obj
    visited.add(id(obj))
    for attr, value in state_walk.walk_children(obj):
        yield from _child_with_method(value, method, state_walk._join(path, attr), visited,
                                      visited_containers)


def _child_with_method(value, method, path, visited, visited_containers):
    if state_walk.is_saveable(value):
        yield from _with_method(value, method, path, visited, visited_containers)
    elif isinstance(value, (list, tuple, dict)):
        for name, item in list(state_walk._container_items(value, visited_containers)):
            yield from _child_with_method(item, method, state_walk._join(path, name), visited,
                                          visited_containers)


def write_assets(model, archive):
    """Let every object save its assets, and store them under ``assets/`` in ``archive``."""
    owners = list(_with_method(model, "save_assets"))
    if not owners:
        return
    with tempfile.TemporaryDirectory() as root:
        for path, obj in owners:
            folder = os.path.join(root, *path.split("/")) if path else root
            os.makedirs(folder, exist_ok=True)
            obj.save_assets(folder)
        for folder, _, files in sorted(os.walk(root)):
            for filename in sorted(files):
                full = os.path.join(folder, filename)
                relative = os.path.relpath(full, root).replace(os.sep, "/")
                archive.write(full, f"{ASSETS_DIRNAME}/{relative}")


def asset_members(archive):
    """The names of the asset files in an open archive."""
    prefix = ASSETS_DIRNAME + "/"
    return [name for name in archive.namelist() if name.startswith(prefix)
            and not name.endswith("/")]


def load_assets(model, files, source):
    """Give every object with ``load_assets`` its folder of ``files``
    (archive member name -> bytes, as read by the loader)."""
    owners = list(_with_method(model, "load_assets"))
    if not owners:
        return
    with tempfile.TemporaryDirectory() as root:
        for name, data in files.items():
            # Member names were checked for traversal when the archive was opened.
            target = os.path.join(root, *name.split("/")[1:])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
        for path, obj in owners:
            folder = os.path.join(root, *path.split("/")) if path else root
            if not os.path.isdir(folder):
                raise LoadError(
                    f"{source} has no assets for {type(obj).__name__} "
                    f"{getattr(obj, 'name', '')!r} (expected the folder "
                    f"'{ASSETS_DIRNAME}/{path}'); the file was not written for this model")
            try:
                obj.load_assets(folder)
            except (OSError, ValueError, TypeError, RuntimeError) as exc:
                raise LoadError(f"Could not load the assets of {type(obj).__name__} "
                                f"{getattr(obj, 'name', '')!r} from '{ASSETS_DIRNAME}/{path}' "
                                f"in {source}: {exc}") from exc
