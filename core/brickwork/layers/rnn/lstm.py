"""LSTMCell and LSTM (Keras gate order ``[i, f, c, o]``)."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork import activations, initializers, ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.rnn.base_cell import (BaseRNNCell, fusable_name, gate_slice,
                                            per_gate)
from brickwork.layers.rnn.builtin_layer import BuiltinRecurrentLayer, check_use_cudnn


@keras_export("keras.layers.LSTMCell")
class LSTMCell(BaseRNNCell):
    """One LSTM step: ``kernel (in, 4u)``, ``recurrent_kernel (u, 4u)``,
    ``bias (4u,)``; column blocks ``[i, f, c, o]``; states ``[h, c]``."""

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        # As Keras: recurrent dropout switches to per-gate masks ("implementation 1").
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]

    def build(self, input_shape):
        self._add_kernels(input_shape)
        initializer = None
        if self.use_bias and self.unit_forget_bias:
            units, base = self.units, self.bias_initializer
            ones = initializers.get("ones")

            def forget_gate_ones(shape, dtype=None):
                # [i: bias_initializer, f: ones, c and o: bias_initializer]
                return ops.concatenate([base((units,), dtype=dtype), ones((units,), dtype=dtype),
                                        base((2 * units,), dtype=dtype)])
            initializer = forget_gate_ones
        self._add_bias((4 * self.units,), initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x, h = self._step_inputs(inputs, h_prev, training)
        u = self.units
        if isinstance(x, list) or isinstance(h, list):
            z = [ops.matmul(per_gate(x, g), gate_slice(self.kernel, g, u))
                 + ops.matmul(per_gate(h, g), gate_slice(self.recurrent_kernel, g, u))
                 for g in range(4)]
            if self.bias is not None:
                z = [zg + gate_slice(self.bias, g, u) for g, zg in enumerate(z)]
        else:
            zz = ops.matmul(x, self.kernel) + ops.matmul(h, self.recurrent_kernel)
            if self.bias is not None:
                zz = zz + self.bias
            z = [gate_slice(zz, g, u) for g in range(4)]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_prev + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h_new = o * self.activation(c)
        return h_new, [h_new, c]

    def fused_sequence(self, sequences, states, mask, training, go_backwards):
        activation, recurrent = fusable_name(self.activation), fusable_name(self.recurrent_activation)
        if activation is None or recurrent is None:
            return None
        input_masks, recurrent_masks = self.sequence_dropout_masks(sequences, states[0], training)
        h_seq, h_last, c_last = ops.lstm(sequences, self.kernel, self.recurrent_kernel, self.bias,
                                         states[0], states[1], mask, input_masks, recurrent_masks,
                                         activation, recurrent, go_backwards)
        return h_seq, h_last, [h_last, c_last]

    def get_config(self):
        config = self._common_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["unit_forget_bias"] = self.unit_forget_bias
        return {**super().get_config(), **config}


@keras_export("keras.layers.LSTM")
class LSTM(BuiltinRecurrentLayer):
    """Long Short-Term Memory layer (Hochreiter 1997), as ``keras.layers.LSTM``."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        unit_forget_bias=unit_forget_bias,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                        dropout=dropout, recurrent_dropout=recurrent_dropout,
                        dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
                        name="lstm_cell", seed=seed,
                        implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=3)
        self.use_cudnn = check_use_cudnn(self.name, use_cudnn)

    def get_config(self):
        config = self._layer_and_cell_config()
        config["recurrent_activation"] = activations.serialize(self.cell.recurrent_activation)
        config["unit_forget_bias"] = self.cell.unit_forget_bias
        return config
