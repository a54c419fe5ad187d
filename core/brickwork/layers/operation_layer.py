"""The layer behind an op applied to symbolic tensors in a functional model.

``ops.mean(x, axis=1)`` on a KerasTensor returns a KerasTensor; the graph
keeps a node of an ``OperationLayer`` that calls ``ops.mean`` with the same
arguments (real arrays in place of the KerasTensors) when the model runs.
It has no weights; gradients flow through the op itself.
"""
from __future__ import annotations

from brickwork.layers.layer import Layer
from brickwork.naming import auto_name
from brickwork.symbolic import register_operation_layer


class OperationLayer(Layer):
    """Replays one ``brickwork.ops`` function on the values of its inputs."""

    def __init__(self, function, name=None, **kwargs):
        super().__init__(name=name or auto_name(function.__name__), autocast=False, **kwargs)
        self.function = function
        self.built = True

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

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
