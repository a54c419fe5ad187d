"""GRUCell and GRU (Keras gate order ``[z, r, h]``, ``reset_after``)."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork import activations, ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.rnn.base_cell import (BaseRNNCell, fusable_name, gate_slice,
                                            per_gate)
from brickwork.layers.rnn.builtin_layer import BuiltinRecurrentLayer, check_use_cudnn


@keras_export("keras.layers.GRUCell")
class GRUCell(BaseRNNCell):
    """One GRU step: ``kernel (in, 3u)``, ``recurrent_kernel (u, 3u)``; bias
    ``(2, 3u)`` (input row, recurrent row) when ``reset_after``, else ``(3u,)``."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.reset_after = reset_after
        self.state_size = self.units

    def build(self, input_shape):
        self._add_kernels(input_shape)
        self._add_bias((2, 3 * self.units) if self.reset_after else (3 * self.units,))
        self.built = True

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        x, h = self._step_inputs(inputs, h_prev, training)
        u = self.units
        input_bias = recurrent_bias = None
        if self.bias is not None:
            if self.reset_after:
                input_bias, recurrent_bias = self.bias[0], self.bias[1]
            else:
                input_bias = self.bias
        xg = [ops.matmul(per_gate(x, g), gate_slice(self.kernel, g, u)) for g in range(3)]
        if input_bias is not None:
            xg = [v + gate_slice(input_bias, g, u) for g, v in enumerate(xg)]
        rg = [ops.matmul(per_gate(h, g), gate_slice(self.recurrent_kernel, g, u))
              for g in range(2 if not self.reset_after else 3)]
        if recurrent_bias is not None:
            rg = [v + gate_slice(recurrent_bias, g, u) for g, v in enumerate(rg)]
        z = self.recurrent_activation(xg[0] + rg[0])
        r = self.recurrent_activation(xg[1] + rg[1])
        if self.reset_after:
            hh = self.activation(xg[2] + r * rg[2])
        else:
            hh = self.activation(xg[2] + ops.matmul(r * per_gate(h, 2),
                                                    gate_slice(self.recurrent_kernel, 2, u)))
        h_new = z * h_prev + (1 - z) * hh
        return h_new, ([h_new] if isinstance(states, (list, tuple)) else h_new)

    def fused_sequence(self, sequences, states, mask, training, go_backwards):
        activation, recurrent = fusable_name(self.activation), fusable_name(self.recurrent_activation)
        if activation is None or recurrent is None:
            return None
        input_masks, recurrent_masks = self.sequence_dropout_masks(sequences, states[0], training)
        h_seq, h_last = ops.gru(sequences, self.kernel, self.recurrent_kernel, self.bias, states[0],
                                mask, input_masks, recurrent_masks, activation, recurrent,
                                self.reset_after, go_backwards)
        return h_seq, h_last, [h_last]

    def get_config(self):
        config = self._common_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["reset_after"] = self.reset_after
        return {**super().get_config(), **config}


@keras_export("keras.layers.GRU")
class GRU(BuiltinRecurrentLayer):
    """Gated Recurrent Unit layer (Cho et al. 2014), as ``keras.layers.GRU``."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                       dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, dtype=kwargs.get("dtype"),
                       trainable=kwargs.get("trainable", True), name="gru_cell", seed=seed,
                       implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(self.name, use_cudnn)

    def get_config(self):
        config = self._layer_and_cell_config()
        config["recurrent_activation"] = activations.serialize(self.cell.recurrent_activation)
        config["reset_after"] = self.cell.reset_after
        return config
