"""``serialize_keras_object`` / ``deserialize_keras_object``: objects to and
from Keras 3 config dicts (``{module, class_name, config, registered_name}``).

Deserialization only ever looks classes up in registries (built-in tables
filled by ``register_builtin``, classes registered with
``register_keras_serializable``, ``custom_objects`` and custom-object scopes):
a config can never name an arbitrary module to import, and Python bytecode
(``__lambda__``) is refused unless safe mode is off.
"""
from __future__ import annotations

import contextlib
import reprlib
import threading

import numpy as np

from brickwork.saving import load_limits
from brickwork.saving import object_registration as reg
from brickwork.saving import safe_mode as safe_mode_lib
from brickwork.saving.errors import loader_error_in
from brickwork.api_export import BUILTIN_MODULES, register_builtin  # noqa: F401  (re-exported)

_sharing = threading.local()

#: ``(is_operation_module, resolve)``, set by ``brickwork.layers.operation_layer``:
#: operation nodes (``keras.src.ops.numpy`` ``Add``, ...) are looked up in its
#: registry by module and class name, never by name alone or by import.
_operation_resolver = None


def register_operation_resolver(is_operation_module, resolve):
    """Route configs whose module holds operations to ``resolve(module, class_name)``."""
    global _operation_resolver
    _operation_resolver = (is_operation_module, resolve)


def _public_module_and_name(cls):
    """``(module, registered_name)`` a class is written with."""
    registered = reg.GLOBAL_CUSTOM_NAMES.get(cls)
    if registered is not None:
        module = cls.__module__
        return (None if module == "__main__" else module), registered
    module = cls.__dict__.get("_keras_module")
    if module is None:
        # An unregistered custom class: loadable only through custom_objects.
        module = cls.__module__
        return (None if module == "__main__" else module), cls.__name__
    # Keras writes non-exported built-ins (Functional) with their class name.
    return module, (cls.__name__ if module.startswith("keras.src.") else None)


def serialize_keras_object(obj):
    """A JSON-ready config for ``obj`` (plain values pass through)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(o) for o in obj]
        return tuple(items) if isinstance(obj, tuple) else items  # as Keras; JSON lists them
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__",
                "config": {"start": serialize_keras_object(obj.start),
                           "stop": serialize_keras_object(obj.stop),
                           "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if callable(obj) and not hasattr(obj, "get_config"):
        return _serialize_function(obj)
    cls = type(obj)
    module, registered = _public_module_and_name(cls)
    result = {
        "module": module,
        # A built-in saved under another name than its class's (GroupQueryAttention).
        "class_name": cls.__dict__.get("_keras_class_name", cls.__name__),
        "config": serialize_keras_object(obj.get_config()),
        "registered_name": registered,
    }
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            result["build_config"] = serialize_keras_object(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        # Keras writes ``{}`` for a model that was never compiled.
        result["compile_config"] = serialize_keras_object(compile_config or {})
    return result


def _serialize_function(fn):
    """A plain function: by registered name, else by ``__name__`` (Keras' form)."""
    registered = reg.GLOBAL_CUSTOM_NAMES.get(fn)
    name = getattr(fn, "__name__", None)
    if name == "<lambda>":
        raise ValueError("Cannot serialize a Python lambda safely: define a named function and "
                         "register it with `@brickwork.saving.register_keras_serializable()`.")
    module = getattr(fn, "__module__", None)
    return {"module": None if module == "__main__" else module, "class_name": "function",
            "config": registered or name, "registered_name": registered or name}


def _custom_table(custom_objects):
    return {**reg.GLOBAL_CUSTOM_OBJECTS, **reg.scoped_custom_objects(), **(custom_objects or {})}


def _is_keras_module(module):
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def resolve_class(config: dict, module_objects=None, custom_objects=None, kind="object"):
    """The class a serialized dict names, from registries only (never imports)."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    module = config.get("module")
    if not isinstance(class_name, str):
        raise TypeError(f"Serialized {kind} has a non-string class_name: {class_name!r}")
    custom = _custom_table(custom_objects)
    for key in (registered, class_name):
        if isinstance(key, str) and key in custom:
            return custom[key]
    if _operation_resolver is not None and _operation_resolver[0](module):
        try:
            return _operation_resolver[1](module, class_name)
        except TypeError:
            from brickwork.backend import ensure_plugins_loaded
            if ensure_plugins_loaded():  # a plugin may register the op as a custom object
                return resolve_class(config, module_objects, custom_objects, kind)
            raise
    tables = []
    if isinstance(module, str) and module in BUILTIN_MODULES:
        tables.append(BUILTIN_MODULES[module])
    if module_objects:
        tables.append(module_objects)
    for table in tables:
        if class_name in table:
            return table[class_name]
    if _is_keras_module(module) and module not in BUILTIN_MODULES:
        # A Keras-internal module path (``keras.src.…``) of a built-in class:
        # accept the class only if exactly one public module has that name.
        found = {id(t[class_name]): t[class_name] for m, t in BUILTIN_MODULES.items()
                 if class_name in t}
        if len(found) == 1:
            return next(iter(found.values()))
    from brickwork.backend import ensure_plugins_loaded
    if ensure_plugins_loaded():  # plugin layers register when the plugins first load
        return resolve_class(config, module_objects, custom_objects, kind)
    raise TypeError(
        f"Could not locate {kind} class {class_name!r} (module {module!r}, registered name "
        f"{registered!r}). Make sure custom classes are decorated with "
        f"`@brickwork.saving.register_keras_serializable()` (and imported before loading), "
        f"or passed in `custom_objects`.")


def _resolve_function(config, module_objects, custom_objects, kind):
    name = config.get("config")
    registered = config.get("registered_name")
    custom = _custom_table(custom_objects)
    for key in (registered, name):
        if isinstance(key, str) and key in custom:
            return custom[key]
    if isinstance(name, str) and module_objects and name in module_objects:
        return module_objects[name]
    raise TypeError(f"Could not locate {kind} function {name!r} (module "
                    f"{config.get('module')!r}). Register it with "
                    f"`@brickwork.saving.register_keras_serializable()` or pass it in "
                    f"`custom_objects`.")


@contextlib.contextmanager
def object_sharing_scope():
    """Within the block, configs with the same ``shared_object_id`` load as one object."""
    previous = getattr(_sharing, "objects", None)
    _sharing.objects = {}
    try:
        yield
    finally:
        _sharing.objects = previous


def _deserialize_marker(class_name, inner):
    """The special ``__name__`` forms Keras writes for non-object values."""
    if not isinstance(inner, dict):
        raise ValueError(f"Serialized {class_name} value must hold a dict config, got {inner!r}")
    if class_name == "__numpy__":
        return _array_from_config(inner)
    if class_name == "__tensor__":
        from brickwork import ops
        return ops.convert_to_tensor(_array_from_config(inner))
    if class_name == "__bytes__":
        return str(inner["value"]).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
    if class_name == "__lambda__":
        return safe_mode_lib.load_lambda(inner.get("value"))
    raise ValueError(f"Unsupported serialized value marker {class_name!r}")


def _array_from_config(inner):
    """A serialized array, its size charged to the load limit before it is
    made: a dtype such as ``U200000000`` turns a few bytes of JSON into
    hundreds of megabytes."""
    if not isinstance(inner["dtype"], str):  # Keras writes a dtype name
        raise TypeError(f"dtype must be a string, got {inner['dtype']!r}")
    dtype = np.dtype(inner["dtype"])
    value = inner["value"]
    load_limits.charge(load_limits.array_bytes(value, dtype),
                       f"a serialized array of dtype {dtype.str}",
                       "declared by its dtype, not stored in the config")
    return np.array(value, dtype=dtype)


_MARKERS = frozenset({"__numpy__", "__tensor__", "__bytes__", "__ellipsis__", "__slice__",
                      "__lambda__"})


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a serialized config describes, with Keras's signature.

    Args:
        config: What ``serialize_keras_object`` made (or a registered name).
        custom_objects: Names to resolve to classes or functions.
        safe_mode: Refuse to run code stored in the config (lambdas). An
            enclosing ``SafeModeScope`` or ``enable_unsafe_deserialization``
            wins over it, as in Keras.
        **kwargs: ``module_objects`` (names to look up first) and
            ``printable_module_name`` (what the error calls the object), as in
            Keras; ``kind`` is brickwork's name for the latter.
    """
    module_objects = kwargs.pop("module_objects", None)
    kind = kwargs.pop("kind", kwargs.pop("printable_module_name", "object"))
    if kwargs:
        raise TypeError(f"deserialize_keras_object: unexpected keyword arguments {sorted(kwargs)}")
    return deserialize_object(config, module_objects, custom_objects, kind,
                              safe_mode=safe_mode if safe_mode_lib.in_safe_mode() is None else None)


def deserialize_object(config, module_objects=None, custom_objects=None, kind="object",
                       safe_mode=None):
    """The object a config describes; ``safe_mode`` (default: the current
    scope's, else True) refuses Python bytecode."""
    if safe_mode is not None:
        with safe_mode_lib.SafeModeScope(safe_mode):
            return deserialize_object(config, module_objects, custom_objects, kind)
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        custom = _custom_table(custom_objects)
        if config in custom:
            return custom[config]
        if module_objects and config in module_objects:
            return module_objects[config]
        raise ValueError(f"Could not interpret {kind} identifier: {config!r}")
    if isinstance(config, list):
        return [deserialize_object(c, module_objects, custom_objects, kind)
                for c in config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret serialized {kind}: {config!r}")
    class_name = config["class_name"]
    if class_name in _MARKERS:
        try:
            return _deserialize_marker(class_name, config.get("config"))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"Malformed serialized {class_name} value: {_short(config)}: "
                             f"{exc}") from exc
    if class_name == "function":
        return _resolve_function(config, module_objects, custom_objects, kind)
    shared = getattr(_sharing, "objects", None)
    shared_id = config.get("shared_object_id")
    if shared is not None and shared_id is not None and shared_id in shared:
        return shared[shared_id]
    cls = resolve_class(config, module_objects, custom_objects, kind)
    inner = config.get("config", {})
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise TypeError(f"Serialized {kind} {class_name!r} has a non-dict config: {inner!r}")
    with reg.custom_object_scope(custom_objects):
        obj = _instantiate(cls, inner, custom_objects, kind)
        build_config = config.get("build_config")
        if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
            if not isinstance(build_config, dict):
                raise TypeError(f"{kind} {class_name!r}: build_config must be a dict, got "
                                f"{build_config!r}")
            obj.build_from_config(build_config)
            _build_by_running(obj, build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(obj, "compile_from_config"):
            _compile_from_config(obj, compile_config)
    if shared is not None and shared_id is not None:
        shared[shared_id] = obj
    return obj


def _build_by_running(obj, build_config):
    """A layer or subclassed model whose ``build`` is the default one creates
    its sub-layers' weights only when called: trace ``call`` on zeros of the
    recorded input shape (Keras' ``Model.build_from_config`` does the same)."""
    from brickwork.layers.layer import Layer
    from brickwork.symbolic import KerasTensor
    shape = build_config.get("input_shape")
    if not isinstance(obj, Layer) or type(obj).build is not Layer.build or obj.weights \
            or not isinstance(shape, (list, tuple)):
        return
    from brickwork.layers.layer import _is_shape, _map_shapes
    if not _is_shape(shape) and not all(isinstance(s, (list, tuple)) for s in shape):
        return
    try:
        obj.compute_output_spec(_map_shapes(lambda s: KerasTensor(s, dtype=obj.compute_dtype),
                                            shape))
    except Exception as exc:  # the weights check that follows names what is missing
        import warnings
        warnings.warn(f"{type(obj).__name__} {obj.name!r} had a build config, but it could not "
                      f"be built by running `call` on inputs of shape {shape}: {exc}. "
                      f"Implement `build()` (or `build_from_config()`) to create its "
                      f"weights.", stacklevel=3)


def _instantiate(cls, inner, custom_objects, kind):
    if not hasattr(cls, "from_config"):
        if isinstance(cls, type):
            return cls(**inner)
        raise TypeError(f"Registered {kind} {cls!r} is not a class with `from_config`.")
    try:
        return cls.from_config(inner)
    except (TypeError, ValueError) as exc:
        refusal = loader_error_in(exc)  # unsafe code, a load limit: says what and where
        if refusal is not None:
            raise refusal from None
        root = _root_cause(exc)
        if getattr(root, "_brickwork_deserialization", False):
            raise root from None  # already says what and where; don't nest configs
        error = TypeError if isinstance(exc, TypeError) else ValueError
        wrapped = error(f"Error when deserializing class {cls.__name__!r} using "
                        f"config={_short(inner)}: {exc}")
        wrapped._brickwork_deserialization = True
        raise wrapped from exc


def _root_cause(exc):
    """The innermost exception of a ``raise ... from`` chain."""
    seen = set()
    while exc.__cause__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "_brickwork_deserialization", False):
            return exc
        exc = exc.__cause__
    return exc


def _short(value, limit=400):
    """A bounded repr: a hostile config may be huge or deeply nested."""
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= limit else text[:limit] + "...}"


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel, _SHORT_REPR.maxdict, _SHORT_REPR.maxlist = 4, 12, 12
_SHORT_REPR.maxstring, _SHORT_REPR.maxother = 80, 80


def _compile_from_config(model, compile_config):
    """``compile_from_config`` with every entry deserialized, then the
    optimizer built so that its saved state can be loaded (as Keras does)."""
    if not isinstance(compile_config, dict):
        raise TypeError(f"compile_config must be a dict, got {compile_config!r}")
    from brickwork import losses, metrics, optimizers
    from brickwork.trainers.trainer import Trainer
    if type(model).compile_from_config is not Trainer.compile_from_config:
        model.compile_from_config(compile_config)  # the model's own rule (raw config, as Keras)
    else:
        config = dict(compile_config)
        if config.get("optimizer") is not None:
            config["optimizer"] = optimizers.get(config["optimizer"])
        for key, module in (("loss", losses), ("metrics", metrics),
                            ("weighted_metrics", metrics)):
            config[key] = _deserialize_compile_entry(config.get(key), module)
        model.compile(**config)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(model, "built", False) and not optimizer.built:
        variables = model.trainable_weights
        if variables:
            load_limits.claim_optimizer_slots()
            optimizer.build(variables)


def _deserialize_compile_entry(value, module):
    """Nested loss/metric specs: dicts with ``class_name`` become objects,
    strings stay names, lists and output-name dicts keep their shape."""
    if isinstance(value, list):
        return [_deserialize_compile_entry(v, module) for v in value]
    if isinstance(value, dict):
        if "class_name" in value:
            _claim_metric_state(value)
            return module.deserialize(value)
        return {k: _deserialize_compile_entry(v, module) for k, v in value.items()}
    return value


#: A threshold of a confusion metric: a float in a list (32 bytes) and its
#: slot in each of four float32 counters, per label.
_THRESHOLD_BYTES, _COUNTER_BYTES = 32, 16


def _claim_metric_state(config):
    """Confusion metrics (AUC, PrecisionAtRecall, ...) make their thresholds
    and counters as they are created; while a file loads, what its
    ``num_thresholds`` (and ``num_labels``) declare must fit the load limit."""
    inner = config.get("config")
    if not isinstance(inner, dict):
        return
    thresholds, labels = inner.get("num_thresholds"), inner.get("num_labels")
    if not isinstance(thresholds, int) or thresholds <= 0:
        return
    labels = labels if isinstance(labels, int) and labels > 0 else 1
    load_limits.claim_unstored(
        thresholds * (_THRESHOLD_BYTES + _COUNTER_BYTES * labels),
        f"metric {config.get('class_name')!r} with num_thresholds={thresholds}",
        "declared by its config; metric state is not saved")


def get_object(identifier, deserialize, kind):
    """The ``get()`` of a Keras module (initializers, regularizers, ...): a
    name or config is deserialized (a class found that way is instantiated
    with its defaults), a callable is used as it is, None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        found = deserialize(identifier)
        return found() if isinstance(found, type) else found
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
