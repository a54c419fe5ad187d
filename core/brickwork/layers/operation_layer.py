"""The layer behind an op applied to symbolic tensors in a functional model.

``ops.mean(x, axis=1)`` on a KerasTensor returns a KerasTensor; the graph
keeps a node of an ``OperationLayer`` that calls ``ops.mean`` with the same
arguments (real arrays in place of the KerasTensors) when the model runs.
It has no weights; gradients flow through the op itself.
"""
from __future__ import annotations

from brickwork import ops, tree
from brickwork.autodiff import stop_recording
from brickwork.layers.layer import Layer
from brickwork.naming import auto_name
from brickwork.symbolic import KerasTensor, register_operation_layer


class OperationLayer(Layer):
    """Replays one ``brickwork.ops`` function on the values of its inputs."""

    def __init__(self, function, name=None, **kwargs):
        super().__init__(name=name or auto_name(function.__name__), autocast=False, **kwargs)
        self.function = function
        self.built = True

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def _run_on_zeros(self, args, kwargs, unknown_size):
        """Shapes come from running the op on zeros; an op that cannot take
        zeros (inv, cholesky, solve, ...) is run on identity matrices instead."""
        try:
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

    def get_config(self):
        config = super().get_config()
        config["function"] = self.function.__name__
        return config


register_operation_layer(OperationLayer)
