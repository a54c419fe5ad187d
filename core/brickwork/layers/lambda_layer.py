"""Lambda: wraps a function as a layer.

A named function is saved by name (loadable when registered or passed in
``custom_objects``); a Python lambda is saved as Keras does, as marshalled
bytecode under ``{"class_name": "__lambda__", ...}``, which loading refuses
while safe mode is on (see ``brickwork.saving.safe_mode``).
"""
from __future__ import annotations

from brickwork.api_export import keras_export

import base64
import binascii
import inspect
import marshal
import types

from brickwork import activations, ops, tree
from brickwork.layers.layer import Layer, _is_shape
from brickwork.saving import safe_mode
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

LAMBDA_MARKER = "__lambda__"


def _is_python_lambda(fn):
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def dump_lambda(fn):
    """Keras' ``{"code", "defaults", "closure"}`` form of a Python lambda."""
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = None
    if fn.__closure__:
        closure = tuple(cell.cell_contents for cell in fn.__closure__)
    return {"class_name": LAMBDA_MARKER,
            "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}


def load_lambda(config):
    """Rebuild a Python lambda from its dumped form; refused in safe mode."""
    if safe_mode.in_safe_mode() is not False:
        raise ValueError(
            "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
            "lambda. This carries a potential risk of arbitrary code execution and thus it is "
            "disallowed by default. If you trust the source of the artifact, you can override "
            "this error by passing `safe_mode=False` to the loading function, or calling "
            "`brickwork.saving.enable_unsafe_deserialization()`.")
    inner = config["config"]
    try:
        code = marshal.loads(base64.b64decode(str(inner["code"]).encode("ascii")))
    except (binascii.Error, ValueError, EOFError, TypeError) as exc:
        raise ValueError(f"Invalid serialized lambda: {exc}") from exc
    if not isinstance(code, types.CodeType):
        raise ValueError("Invalid serialized lambda: the payload is not Python bytecode")
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    return types.FunctionType(code, {"ops": ops, "__builtins__": __builtins__},
                              name=code.co_name,
                              argdefs=None if defaults is None else tuple(defaults),
                              closure=cells)


def _serialize_function(fn):
    if _is_python_lambda(fn):
        return dump_lambda(fn)
    if not callable(fn):
        raise ValueError(f"Invalid input type for serialization. Received: {fn!r} of type "
                         f"{type(fn).__name__}.")
    return serialize_keras_object(fn)


def _deserialize_function(config):
    if isinstance(config, dict) and config.get("class_name") == LAMBDA_MARKER:
        return load_lambda(config)
    if isinstance(config, dict) and config.get("module") == "keras.activations":
        return activations.get(config.get("config"))
    return deserialize_keras_object(config, kind="function")


def _deserialize_value(value):
    """Serialized values back (plain dicts and lists hold them item by item;
    strings and numbers are themselves, never names of objects to look up)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deserialize_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_value(v) for v in value]
    return deserialize_keras_object(value)


def _parameter_names(fn):
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


@keras_export("keras.layers.Lambda")
class Lambda(Layer):
    """Wraps a function as a layer: ``function(inputs, **arguments)``.

    Handy for small stateless steps in ``Sequential`` and functional models.
    The function should use ``keras.ops`` so it works on every backend and
    on symbolic tensors; it receives ``mask`` and ``training`` too when its
    signature names them. Lambda layers hold no weights: write a ``Layer``
    subclass for anything that learns. On saving, a named function is stored
    by name (pass it in ``custom_objects`` to load it); a Python ``lambda`` is
    stored as bytecode, which loading refuses in safe mode.

    Args:
        function: the callable to apply; its first argument is the input (a
            tensor, or the list of tensors the layer is called on).
        output_shape: optional output shape without the batch axis (a tuple,
            or a list of tuples for several outputs), or a function
            ``input_shape -> output_shape`` (batch axis included). None (the
            default) infers it by running the function on a symbolic input.
        mask: optional output mask: a fixed mask, or a function
            ``(inputs, previous_mask) -> mask``. None (the default) gives no
            mask.
        arguments: optional dict of extra keyword arguments for ``function``.

    Input shape:
        Whatever ``function`` accepts.

    Output shape:
        What ``function`` returns, or ``output_shape`` when given.

    Examples:
        >>> square = layers.Lambda(lambda x: x ** 2)
        >>> square(np.array([[1.0, 2.0, 3.0]]))
        array([[1., 4., 9.]], dtype=float32)
        >>> scale = layers.Lambda(lambda x, factor: x * factor, arguments={"factor": 10.0})
        >>> scale(np.ones((2, 3))).shape
        (2, 3)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda layer {self.name!r}: `function` must be callable, "
                            f"received {function!r}")
        self.arguments = dict(arguments or {})
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        if isinstance(output_shape, list) and _is_shape(output_shape):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        names = _parameter_names(function)
        self._fn_expects_training_arg = "training" in names
        self._fn_expects_mask_arg = "mask" in names
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return self._probe_output_spec(args, kwargs)  # run the function on zeros
        return super().compute_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch_size = tree.flatten(input_shape)[0] if input_shape else None

        def with_batch(shape):
            return (batch_size,) + tuple(shape)
        if _is_shape(self._output_shape):
            return with_batch(self._output_shape)
        return [with_batch(shape) for shape in self._output_shape]

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_function(self.function)
        if self._output_shape is not None:
            config["output_shape"] = (_serialize_function(self._output_shape)
                                      if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = (_serialize_function(self.mask) if callable(self.mask)
                              else serialize_keras_object(self.mask))
        config["arguments"] = serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        from brickwork.saving import object_registration
        from brickwork.saving import safe_mode as safe_mode_lib
        config = dict(config)
        scope = (safe_mode_lib.SafeModeScope(safe_mode) if safe_mode is not None
                 else _NullScope())
        with scope, object_registration.custom_object_scope(custom_objects):
            config["function"] = _deserialize_function(config["function"])
            output_shape = config.get("output_shape")
            if isinstance(output_shape, dict):
                config["output_shape"] = _deserialize_function(output_shape)
            elif isinstance(output_shape, list) and _is_shape(output_shape):
                config["output_shape"] = tuple(output_shape)
            mask = config.get("mask")
            if isinstance(mask, dict) and (mask.get("class_name") in (LAMBDA_MARKER, "function")):
                config["mask"] = _deserialize_function(mask)
            elif mask is not None:
                config["mask"] = _deserialize_value(mask)
            if "arguments" in config:
                config["arguments"] = _deserialize_value(config["arguments"])
        return super().from_config(config)


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False
