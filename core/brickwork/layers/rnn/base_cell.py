"""What SimpleRNNCell, LSTMCell and GRUCell share: arguments, weights, config."""
from __future__ import annotations

from brickwork import activations, constraints, initializers, ops, regularizers
from brickwork.hookspecs import OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.layers.layer import Layer
from brickwork.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from brickwork.random import SeedGenerator
from brickwork.saving.serialization import serialize_keras_object

#: Activations a fused sequence kernel can apply (elementwise, and
#: differentiable from their output).
FUSABLE_ACTIVATIONS = tuple(n for n in OUTPUT_DIFFERENTIABLE_ACTIVATIONS
                            if n not in ("softmax", "log_softmax"))


def fusable_name(activation):
    name = getattr(activation, "kernel_name", None)
    return name if name in FUSABLE_ACTIVATIONS else None


def check_units(layer_name, units):
    if isinstance(units, float) and units.is_integer():
        units = int(units)
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"Layer {layer_name!r}: received an invalid value for argument "
                         f"`units`, expected a positive integer, got {units!r}.")
    return units


def _serialize_or_none(obj):
    return None if obj is None else serialize_keras_object(obj)


class BaseRNNCell(Layer, DropoutRNNCell):
    """A recurrent cell whose weights are ``kernel (in, G*units)``,
    ``recurrent_kernel (units, G*units)`` and a bias, G gates wide."""

    gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = check_units(self.name, units)
        self.implementation = implementation
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.output_size = self.units

    def _add_kernels(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Layer {self.name!r}: the last dimension of the inputs must be "
                             f"known, got input shape {tuple(input_shape)}")
        width = self.units * self.gates
        self.kernel = self.add_weight(shape=(input_dim, width), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, width), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)

    def _add_bias(self, shape, initializer=None):
        if not self.use_bias:
            self.bias = None
            return
        self.bias = self.add_weight(shape=shape, name="bias",
                                    initializer=initializer or self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def _step_inputs(self, inputs, h_prev, training):
        """Per-gate step inputs and previous states with dropout masks applied:
        lists of ``gates`` entries, or single values when one mask is shared."""
        x, h = inputs, h_prev
        if training and 0.0 < self.dropout < 1.0:
            mask = self.get_dropout_mask(inputs)
            x = [inputs * m for m in mask] if isinstance(mask, list) else inputs * mask
        if training and 0.0 < self.recurrent_dropout < 1.0:
            mask = self.get_recurrent_dropout_mask(h_prev)
            h = [h_prev * m for m in mask] if isinstance(mask, list) else h_prev * mask
        return x, h

    def _common_config(self):
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_or_none(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_or_none(self.recurrent_regularizer),
            "bias_regularizer": _serialize_or_none(self.bias_regularizer),
            "kernel_constraint": _serialize_or_none(self.kernel_constraint),
            "recurrent_constraint": _serialize_or_none(self.recurrent_constraint),
            "bias_constraint": _serialize_or_none(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def gate_slice(value, gate, units):
    """Columns of gate ``gate`` of a ``(..., G*units)`` array."""
    return ops.getitem(value, (Ellipsis, slice(gate * units, (gate + 1) * units)))


def per_gate(value, gate):
    """The ``gate``-th entry of a per-gate list, or the shared value."""
    return value[gate] if isinstance(value, list) else value


class CellProperties:
    """Read-only views of a layer's cell arguments (``layer.units`` ...)."""

    def __getattr__(self, name):
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ATTRIBUTES:
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


_CELL_ATTRIBUTES = frozenset({
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint", "dropout", "recurrent_dropout", "reset_after", "implementation"})


def layer_config_from_cell(cell):
    """A recurrent layer's own config entries, taken from its cell."""
    config = cell._common_config()
    return config
