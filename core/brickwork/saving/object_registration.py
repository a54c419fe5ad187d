"""Registries of serializable classes: built-ins by Keras module, custom by name."""
from __future__ import annotations

import contextlib
import threading

#: ``"package>Name"`` -> class, filled by ``register_keras_serializable``.
GLOBAL_CUSTOM_OBJECTS: dict = {}
GLOBAL_CUSTOM_NAMES: dict = {}
_scope = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: make a custom class loadable under ``package>Name``."""
    def decorator(cls):
        registered = f"{package}>{name or cls.__name__}"
        if registered in GLOBAL_CUSTOM_OBJECTS and GLOBAL_CUSTOM_OBJECTS[registered] is not cls:
            raise ValueError(f"{registered!r} is already registered to "
                             f"{GLOBAL_CUSTOM_OBJECTS[registered]!r}")
        GLOBAL_CUSTOM_OBJECTS[registered] = cls
        GLOBAL_CUSTOM_NAMES[cls] = registered
        return cls
    return decorator


def get_registered_name(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return GLOBAL_CUSTOM_NAMES.get(cls, cls.__name__)


def scoped_custom_objects() -> dict:
    merged = {}
    for objects in getattr(_scope, "stack", []):
        merged.update(objects)
    return merged


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Within the block, ``custom_objects`` resolve by name when deserializing."""
    stack = getattr(_scope, "stack", None)
    if stack is None:
        stack = _scope.stack = []
    stack.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        stack.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects() -> dict:
    return GLOBAL_CUSTOM_OBJECTS
