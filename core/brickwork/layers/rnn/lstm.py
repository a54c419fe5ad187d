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
    """LSTM cell: one step of ``LSTM``.

    Weights ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
    ``(units, 4 * units)`` and ``bias`` ``(4 * units,)``, with the gate
    blocks in the order ``[i, f, c, o]``; the states are ``[h, c]``. Wrap it
    in ``layers.RNN`` to run it over a sequence; ``layers.LSTM`` is that, in
    one fused kernel.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation function or its name; ``"tanh"`` by default. None
            is linear.
        recurrent_activation: activation of the gates; ``"sigmoid"`` by default.
        use_bias: whether to add biases. Default True.
        kernel_initializer: initializer of ``kernel`` (the input transform).
            Default ``"glorot_uniform"``.
        recurrent_initializer: initializer of ``recurrent_kernel`` (the state
            transform). Default ``"orthogonal"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        unit_forget_bias: whether to initialize the forget gate's bias to 1 (the
            other gates' biases use ``bias_initializer``), as Jozefowicz et al.
            (2015) recommend. Default True.
        kernel_regularizer: optional regularizer of ``kernel``.
        recurrent_regularizer: optional regularizer of ``recurrent_kernel``.
        bias_regularizer: optional regularizer of the bias.
        kernel_constraint: optional constraint on ``kernel``.
        recurrent_constraint: optional constraint on ``recurrent_kernel``.
        bias_constraint: optional constraint on the bias.
        dropout: float in [0, 1), the fraction of the input units to drop in
            training. Default 0.
        recurrent_dropout: float in [0, 1), the fraction of the state units to
            drop in training. Default 0.
        seed: optional int, seed of the dropout masks.

    Call arguments:
        inputs: one step ``(batch, features)``.
        states: the previous states, a list of ``(batch, units)`` tensors.
        training: bool, whether to apply dropout.

    Input shape:
        ``(batch, features)`` and the states (``[h, c]``).

    Output shape:
        ``(output, new_states)``: the output ``(batch, units)`` and the list
        of new states.

    Examples:
        >>> cell = layers.LSTMCell(4)
        >>> output, (h, c) = cell(np.ones((2, 8)), [np.zeros((2, 4)), np.zeros((2, 4))])
        >>> output.shape, c.shape
        ((2, 4), (2, 4))
    """

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
    """Long Short-Term Memory layer (Hochreiter and Schmidhuber, 1997).

    Each step computes input, forget and output gates and a candidate cell
    value from ``x_t`` and ``h_(t-1)``, updates the cell state ``c_t = f * c_(t-1)
    + i * candidate`` and outputs ``h_t = o * activation(c_t)``. The weights
    hold the four blocks in Keras's order ``[i, f, c, o]``: ``kernel``
    ``(features, 4 * units)``, ``recurrent_kernel`` ``(units, 4 * units)`` and
    ``bias`` ``(4 * units,)``.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation function or its name; ``"tanh"`` by default. None
            is linear.
        recurrent_activation: activation of the gates; ``"sigmoid"`` by default.
        use_bias: whether to add biases. Default True.
        kernel_initializer: initializer of ``kernel`` (the input transform).
            Default ``"glorot_uniform"``.
        recurrent_initializer: initializer of ``recurrent_kernel`` (the state
            transform). Default ``"orthogonal"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        unit_forget_bias: whether to initialize the forget gate's bias to 1 (the
            other gates' biases use ``bias_initializer``), as Jozefowicz et al.
            (2015) recommend. Default True.
        kernel_regularizer: optional regularizer of ``kernel``.
        recurrent_regularizer: optional regularizer of ``recurrent_kernel``.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the layer's output.
        kernel_constraint: optional constraint on ``kernel``.
        recurrent_constraint: optional constraint on ``recurrent_kernel``.
        bias_constraint: optional constraint on the bias.
        dropout: float in [0, 1), the fraction of the input units to drop in
            training (one mask for the whole sequence). Default 0.
        recurrent_dropout: float in [0, 1), the fraction of the state units to
            drop in training. Default 0.
        seed: optional int, seed of the dropout masks.
        return_sequences: whether to return the output of every step (True) or
            only the last one (False, the default).
        return_state: whether to also return the final states. Default False.
        go_backwards: whether to run over the sequence backwards (the outputs
            are then in reverse order). Default False.
        stateful: whether the final states of a batch are the initial states of
            the next call (sample ``i`` continues sample ``i``); the batch size
            must then be fixed. ``reset_states()`` clears them. Default False.
        unroll: accepted for Keras compatibility; brickwork runs built-in cells
            in one fused kernel either way, so it changes nothing.
        use_cudnn: accepted and validated (``"auto"``, True or False) for Keras
            compatibility; brickwork picks its kernels through the backend.

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        mask: optional boolean ``(batch, timesteps)``, False for steps to skip
            (the state carries over them). Taken from the input's mask (for
            example ``Embedding(mask_zero=True)``) when not passed.
        training: bool, whether to apply dropout.
        initial_state: optional list of initial state tensors (zeros by
            default).

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, units)``, or ``(batch, timesteps, units)`` with
        ``return_sequences``. With ``return_state``, a list: the output, then
        the final states (``h`` and ``c``), each ``(batch, units)``. With
        ``return_sequences`` the output's mask is the input's mask.

    Examples:
        >>> x = np.ones((2, 10, 8))
        >>> layers.LSTM(4)(x).shape
        (2, 4)
        >>> output, h, c = layers.LSTM(4, return_sequences=True, return_state=True)(x)
        >>> output.shape, h.shape, c.shape
        ((2, 10, 4), (2, 4), (2, 4))
    """

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
