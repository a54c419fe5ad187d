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
    """GRU cell: one step of ``GRU``.

    Weights ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)`` and ``bias`` ``(2, 3 * units)`` with
    ``reset_after`` (else ``(3 * units,)``), gate blocks in the order ``[z,
    r, h]``; the state is ``[h]``. Wrap it in ``layers.RNN`` to run it over
    a sequence; ``layers.GRU`` is that, in one fused kernel.

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
        reset_after: whether the reset gate applies after the recurrent matrix
            multiplication (True, the default, and the cuDNN-compatible form
            with a ``(2, 3 * units)`` bias) or before it (``(3 * units,)``
            bias).

    Call arguments:
        inputs: one step ``(batch, features)``.
        states: the previous states, a list of ``(batch, units)`` tensors.
        training: bool, whether to apply dropout.

    Input shape:
        ``(batch, features)`` and the states (``[h]``).

    Output shape:
        ``(output, new_states)``: the output ``(batch, units)`` and the list
        of new states.

    Examples:
        >>> rnn = layers.RNN(layers.GRUCell(4), return_sequences=True)
        >>> rnn(np.ones((2, 10, 8))).shape
        (2, 10, 4)
    """

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
    """Gated Recurrent Unit layer (Cho et al., 2014).

    Each step computes an update gate ``z`` and a reset gate ``r`` from
    ``x_t`` and ``h_(t-1)``, a candidate state from ``x_t`` and the reset
    previous state, and outputs ``h_t = z * h_(t-1) + (1 - z) * candidate``.
    The weights hold the three blocks in Keras's order ``[z, r, h]``:
    ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel`` ``(units, 3 *
    units)``, and ``bias`` ``(2, 3 * units)`` (input and recurrent rows) with
    ``reset_after``, else ``(3 * units,)``.

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
        reset_after: whether the reset gate applies after the recurrent matrix
            multiplication (True, the default, and the cuDNN-compatible form
            with a ``(2, 3 * units)`` bias) or before it (``(3 * units,)``
            bias).
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
        the final states (``h``), each ``(batch, units)``. With
        ``return_sequences`` the output's mask is the input's mask.

    Examples:
        >>> x = np.ones((2, 10, 8))
        >>> layers.GRU(4)(x).shape
        (2, 4)
        >>> layers.GRU(4, return_sequences=True)(x).shape
        (2, 10, 4)
    """

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
