"""The layers behind ops applied to symbolic tensors in a functional model.

``ops.mean(x, axis=1)`` on a KerasTensor returns a KerasTensor; the graph
keeps a node of an operation layer that calls ``ops.mean`` with the same
arguments (real arrays in place of the KerasTensors) when the model runs.
It has no weights; gradients flow through the op itself.

Each Keras operation class (``Add`` of ``keras.src.ops.numpy``, ``Mean``,
``GetItem``, ``Relu`` of ``keras.src.ops.nn``, ...) has its own subclass of
``OperationLayer`` here, named and saved as Keras names and saves it: the
op's constructor arguments are its config, the tensors and other call
arguments its node's ``args``/``kwargs`` (see ``operation_registry``).
"""
from __future__ import annotations

import warnings

from brickwork import ops, tree
from brickwork.autodiff import stop_recording
from brickwork.layers import operation_registry as registry
from brickwork.layers.layer import Layer
from brickwork.naming import auto_name
from brickwork.saving import serialization
from brickwork.symbolic import KerasTensor, register_operation_layer


class OperationLayer(Layer):
    """Replays one ``brickwork.ops`` function on the values of its inputs.

    The base class runs any function given (``ops.symbolic_op`` on a
    function that is no Keras operation); such a node cannot be saved. The
    subclasses made by ``operation_class`` stand for one Keras operation
    each and save in Keras's form.

    Args:
        function: The function to call (its KerasTensor arguments replaced
            by arrays).
        name: The layer (node) name.
    """

    _spec = None  # the OperationSpec of a Keras operation subclass

    def __init__(self, function=None, name=None, **kwargs):
        spec = type(self)._spec
        config = {k: kwargs.pop(k) for k in list(kwargs) if spec is not None and k in spec.init}
        if spec is not None:
            function = spec.function
            missing = [k for k in spec.init if k not in config]
            if missing:
                raise TypeError(f"Operation {spec.class_name!r} ({spec.module}) needs the "
                                f"config entries {missing}; got {sorted(config)}.")
        elif function is None:
            raise TypeError("OperationLayer needs the function it applies.")
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        default = spec.default_name if spec is not None else function.__name__
        super().__init__(name=name or auto_name(default), autocast=False, **kwargs)
        self.function = function
        self.op_config = config
        self.built = True

    def call(self, *args, **kwargs):
        spec = type(self)._spec
        if spec is None:
            return self.function(*args, **kwargs)
        return spec.call(self.op_config, args, kwargs)

    def _run_on_zeros(self, args, kwargs, unknown_size):
        """Shapes come from running the op on zeros; an op that cannot take
        zeros (inv, cholesky, solve, ...) is run on identity matrices instead."""
        try:
            with warnings.catch_warnings():  # 1 / zeros while probing shapes is no error
                warnings.simplefilter("ignore", RuntimeWarning)
                return super()._run_on_zeros(args, kwargs, unknown_size)
        except Exception:  # noqa: BLE001  (retried with well-conditioned values)
            pass

        def identity_like(value):
            if not isinstance(value, KerasTensor):
                return value
            shape = tuple(unknown_size if d is None else d for d in value.shape)
            if len(shape) >= 2 and shape[-1] == shape[-2]:
                eye = ops.eye(shape[-1], dtype=value.dtype)
                return ops.broadcast_to(eye, shape)
            return ops.ones(shape, value.dtype)
        args, kwargs = tree.map_structure(identity_like, (args, kwargs))
        with stop_recording():
            return self.call(*args, **kwargs)

    # Inputs go to the op as they are: no dtype cast, no shape checks, no masks.
    def _convert_inputs(self, inputs):
        return inputs

    def _populate_mask(self, first, kwargs):
        return None

    def _populate_argument_masks(self, args, kwargs):
        return None

    def _attach_output_masks(self, first, outputs, previous_mask, stacklevel=3):
        return None

    def _symbolic_masks(self, first, outputs, kwargs):
        return None

    def get_build_config(self):
        return None  # Keras writes no build config for an operation

    def get_config(self):
        """Keras's operation config: the name and the constructor arguments."""
        if type(self)._spec is None:
            raise ValueError(
                f"Cannot save the node {self.name!r}: it applies "
                f"{getattr(self.function, '__qualname__', self.function)!r}, which is no Keras "
                f"operation or `brickwork.ops` function. Wrap the computation in a Layer "
                f"subclass registered with `@brickwork.saving.register_keras_serializable()`.")
        return {"name": self.name, **self.op_config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(name=config.pop("name", None), **config)

    def __reduce_ex__(self, protocol):
        """Pickled by the operation's Keras name: the class is made at run
        time and the function may be reachable only through a wrapper."""
        spec = type(self)._spec
        if spec is None:
            return super().__reduce_ex__(protocol)
        state = {k: v for k, v in self.__dict__.items() if k != "function"}
        return _restore_operation_layer, (spec.module, spec.class_name), state


_CLASSES: dict = {}


def operation_class(spec):
    """The ``OperationLayer`` subclass of one Keras operation (made once)."""
    key = (spec.module, spec.class_name, id(spec.function))
    cls = _CLASSES.get(key)
    if cls is None:
        cls = type(spec.class_name, (OperationLayer,), {
            "_spec": spec, "_keras_module": spec.module, "__module__": __name__,
            "__doc__": f"The {spec.class_name} operation of {spec.module} as a graph node."})
        _CLASSES[key] = cls
    return cls


def _restore_operation_layer(module, class_name):
    """An empty layer of a pickled operation node (pickle then sets its state)."""
    spec = registry.spec_for_class(module, class_name)
    if spec is None:
        raise TypeError(f"Cannot unpickle operation {class_name!r} ({module}): unknown here.")
    layer = object.__new__(operation_class(spec))
    object.__setattr__(layer, "function", spec.function)
    return layer


class _SymbolicOperation:
    """What ``ops`` calls on KerasTensors: the node of the Keras operation
    the call is (its arguments split into config and node as Keras saves
    them), or a plain ``OperationLayer`` for any other function."""

    def __init__(self, function):
        self.function = function

    def __call__(self, *args, **kwargs):
        try:
            spec, config, node_args, node_kwargs = registry.save_form(self.function, args, kwargs)
        except (TypeError, ValueError):  # no Keras form: a node that runs but cannot be saved
            return OperationLayer(self.function)(*args, **kwargs)
        return operation_class(spec)(**config)(*node_args, **node_kwargs)


def _resolve_operation(module, class_name):
    """The class a saved operation node names, or an error that says what to do."""
    spec = registry.spec_for_class(module, class_name)
    if spec is not None:
        return operation_class(spec)
    known = registry.known_classes(module)
    raise TypeError(
        f"Unknown operation {class_name!r} (module {module!r}) in the model config: brickwork "
        f"has no operation of that name{' in that module' if known else ''}. If it is a "
        f"custom Operation or Layer, pass it in `custom_objects={{{class_name!r}: ...}}` "
        f"(or register it with `@brickwork.saving.register_keras_serializable()`); if a "
        f"plugin provides it, install and import that plugin.")


register_operation_layer(_SymbolicOperation)
serialization.register_operation_resolver(registry.is_operation_module, _resolve_operation)
