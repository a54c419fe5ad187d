"""Registries of custom serializable objects, looked up by name on load."""
from __future__ import annotations

import inspect
import threading

#: ``"package>Name"`` -> class or function, filled by ``register_keras_serializable``.
GLOBAL_CUSTOM_OBJECTS: dict = {}
#: class or function -> ``"package>Name"``.
GLOBAL_CUSTOM_NAMES: dict = {}
_scope = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class (with ``get_config``) or function loadable
    under ``"package>Name"``. Plugins register their layers this way."""
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: `package` must be a string without "
                         f"'>', got {package!r}")

    def decorator(obj):
        registered = f"{package}>{name if name is not None else obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register class {obj.__name__!r} as {registered!r}: it "
                             f"has no get_config() method.")
        GLOBAL_CUSTOM_OBJECTS[registered] = obj
        GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj
    return decorator


#: brickwork's own name for the same decorator.
register_serializable = register_keras_serializable


def get_registered_name(obj) -> str:
    """``"package>Name"`` for a registered class or function, else its ``__name__``."""
    if obj in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[obj]
    target = obj if (inspect.isclass(obj) or inspect.isfunction(obj)) else type(obj)
    return GLOBAL_CUSTOM_NAMES.get(target, target.__name__)


def scoped_custom_objects() -> dict:
    """The objects of every active ``CustomObjectScope`` (inner ones win)."""
    merged = {}
    for objects in getattr(_scope, "stack", []):
        merged.update(objects)
    return merged


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered (or in scope, or in ``custom_objects``) as ``name``."""
    for table in (custom_objects or {}, scoped_custom_objects(), GLOBAL_CUSTOM_OBJECTS,
                  module_objects or {}):
        if name in table:
            return table[name]
    return None


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):`` makes those names
    resolvable while deserializing (``load_model``, ``from_config``, ...)."""

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        stack = getattr(_scope, "stack", None)
        if stack is None:
            stack = _scope.stack = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope.stack.pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict:
    """The live global registry (``"package>Name"`` -> object)."""
    return GLOBAL_CUSTOM_OBJECTS
