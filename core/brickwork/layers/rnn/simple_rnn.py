"""SimpleRNNCell and SimpleRNN: ``h_t = activation(x_t W + b + h_{t-1} U)``."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork import ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.rnn.base_cell import BaseRNNCell, fusable_name
from brickwork.layers.rnn.builtin_layer import BuiltinRecurrentLayer


@keras_export("keras.layers.SimpleRNNCell")
class SimpleRNNCell(BaseRNNCell):
    """SimpleRNN cell: one step of ``SimpleRNN``.

    Computes ``h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel +
    bias)``; weights ``kernel`` ``(features, units)``, ``recurrent_kernel``
    ``(units, units)``, ``bias`` ``(units,)``. Wrap it in ``layers.RNN`` to
    run it over a sequence; ``layers.SimpleRNN`` is that, in one fused
    kernel.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation function or its name; ``"tanh"`` by default. None
            is linear.
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
        >>> rnn = layers.RNN(layers.SimpleRNNCell(4))
        >>> rnn(np.ones((2, 10, 8))).shape
        (2, 4)
    """

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
    """Fully connected recurrent layer whose output is fed back as its state.

    At each step ``h_t = activation(x_t @ kernel + h_(t-1) @ recurrent_kernel
    + bias)``; ``h_t`` is both the output and the state.

    Args:
        units: positive int, the size of the output and of the state.
        activation: activation function or its name; ``"tanh"`` by default. None
            is linear.
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
        seed: optional int, seed of the dropout masks.

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
        >>> layers.SimpleRNN(4)(x).shape
        (2, 4)
        >>> layers.SimpleRNN(4, return_sequences=True)(x).shape
        (2, 10, 4)
    """

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
