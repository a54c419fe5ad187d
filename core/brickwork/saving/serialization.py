"""``serialize_keras_object`` / ``deserialize_keras_object`` for configs.

Deserialization only ever looks classes up in registries (built-in modules,
registered custom objects, ``custom_objects``): a config can never name an
arbitrary module to import.
"""
from __future__ import annotations

from brickwork.saving import object_registration as reg

#: Keras public module -> {class name: class}, filled by each brickwork module
#: that holds serializable classes (see ``register_builtin``).
BUILTIN_MODULES: dict[str, dict[str, type]] = {}


def register_builtin(keras_module: str, *classes, aliases=None):
    """Record built-in classes under the Keras module name they serialize with."""
    table = BUILTIN_MODULES.setdefault(keras_module, {})
    for cls in classes:
        table[cls.__name__] = cls
        cls._keras_module = keras_module
    for alias, cls in (aliases or {}).items():
        table[alias] = cls


def serialize_keras_object(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    cls = type(obj)
    registered = reg.GLOBAL_CUSTOM_NAMES.get(cls)
    config = obj.get_config()
    result = {
        "module": getattr(cls, "_keras_module", None) if registered is None else cls.__module__,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": registered,
    }
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            result["build_config"] = build_config
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            result["compile_config"] = compile_config
    return result


def resolve_class(config: dict, module_objects=None, custom_objects=None, kind="object"):
    """The class a serialized dict names, from registries only."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    custom = {**reg.GLOBAL_CUSTOM_OBJECTS, **reg.scoped_custom_objects(), **(custom_objects or {})}
    for key in (registered, class_name):
        if key and key in custom:
            return custom[key]
    module = config.get("module")
    candidates = []
    if module_objects:
        candidates.append(module_objects)
    if module in BUILTIN_MODULES:
        candidates.append(BUILTIN_MODULES[module])
    for table in candidates:
        if class_name in table:
            return table[class_name]
    raise TypeError(
        f"Could not locate {kind} class {class_name!r} (module {module!r}, registered name "
        f"{registered!r}). Make sure it is registered with "
        f"`@brickwork.saving.register_keras_serializable()` or passed in `custom_objects`.")


def deserialize_keras_object(config, module_objects=None, custom_objects=None, kind="object"):
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        table = module_objects or {}
        custom = {**reg.GLOBAL_CUSTOM_OBJECTS, **reg.scoped_custom_objects(), **(custom_objects or {})}
        if config in custom:
            return custom[config]
        if config in table:
            return table[config]
        raise ValueError(f"Could not interpret {kind} identifier: {config!r}")
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret serialized {kind}: {config!r}")
    cls = resolve_class(config, module_objects, custom_objects, kind)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"Serialized {kind} {config.get('class_name')!r} has a non-dict config")
    try:
        obj = cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)
    except Exception as exc:
        raise TypeError(f"Error when deserializing class {cls.__name__!r} using config={inner}: "
                        f"{exc}") from exc
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config)
    return obj
