"""SimpleRNNCell and SimpleRNN: ``h_t = activation(x_t W + b + h_{t-1} U)``."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork import ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.rnn.base_cell import BaseRNNCell, fusable_name
from brickwork.layers.rnn.builtin_layer import BuiltinRecurrentLayer


@keras_export("keras.layers.SimpleRNNCell")
class SimpleRNNCell(BaseRNNCell):
    """One fully connected recurrent step: ``kernel (in, u)``,
    ``recurrent_kernel (u, u)``, ``bias (u,)``."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape)
        self._add_bias((self.units,))
        self.built = True

    def call(self, sequence, states, training=False):
        prev_output = states[0] if isinstance(states, (list, tuple)) else states
        x, h = self._step_inputs(sequence, prev_output, training)
        z = ops.matmul(x, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        output = self.activation(z + ops.matmul(h, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def fused_sequence(self, sequences, states, mask, training, go_backwards):
        activation = fusable_name(self.activation)
        if activation is None:
            return None
        input_masks, recurrent_masks = self.sequence_dropout_masks(sequences, states[0], training)
        h_seq, h_last = ops.simple_rnn(sequences, self.kernel, self.recurrent_kernel, self.bias,
                                       states[0], mask, input_masks, recurrent_masks, activation,
                                       go_backwards)
        return h_seq, h_last, [h_last]

    def get_config(self):
        return {**super().get_config(), **self._common_config()}


@keras_export("keras.layers.SimpleRNN")
class SimpleRNN(BuiltinRecurrentLayer):
    """Fully connected RNN whose output is fed back, as ``keras.layers.SimpleRNN``."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, seed=None,
                 **kwargs):
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, seed=seed,
                             dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                             name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = [InputSpec(ndim=3)]

    def get_config(self):
        config = self._layer_and_cell_config()
        del config["seed"]  # Keras' SimpleRNN config has none (its cell's has)
        return config
