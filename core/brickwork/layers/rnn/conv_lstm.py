"""ConvLSTM1D/2D/3D: LSTMs whose input and recurrent transforms are
convolutions (Shi et al., 2015), with Keras 3's arguments and weights."""
from __future__ import annotations

from brickwork import activations, constraints, initializers, ops, regularizers, tree
from brickwork.api_export import keras_export
from brickwork.backend import image_data_format
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from brickwork.layers.rnn.rnn import RNN
from brickwork.ops.convolution import (conv_output_length, standardize_data_format,
                                       standardize_tuple)
from brickwork.random import SeedGenerator
from brickwork.saving import load_limits
from brickwork.saving.serialization import serialize_keras_object
from brickwork.variables import Variable


def _serialize_or_none(obj):
    return None if obj is None else serialize_keras_object(obj)


def _padding(value):
    padding = str(value).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. "
                         f"Received: padding={value!r}")
    return padding


class ConvLSTMCell(Layer, DropoutRNNCell):
    """One ConvLSTM step on a ``rank``-D input frame.

    Weights (Keras's layout): ``kernel (*kernel_size, in_channels,
    4 * filters)``, ``recurrent_kernel (*kernel_size, filters, 4 * filters)``
    and ``bias (4 * filters,)``, gate blocks ``[i, f, c, o]`` on the last
    axis. The input transform uses ``strides``, ``padding`` and
    ``dilation_rate``; the recurrent one is a stride-1 'same' convolution.
    States ``[h, c]`` have the shape of the input convolution's output.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTM: rank {rank} convolutions are not supported (1, 2 or 3). "
                             f"Received: rank={rank}")
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.rank = rank
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"ConvLSTM{rank}D: `filters` must be a positive integer. "
                             f"Received: filters={filters!r}")
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.padding = _padding(padding)
        self.data_format = standardize_data_format(data_format or image_data_format())
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"ConvLSTM{rank}D: specifying `strides > 1` is not compatible with "
                             f"`dilation_rate > 1`. Please provide `strides=1` or "
                             f"`dilation_rate=1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self.dropout_mask_count = 4
        self.input_spec = InputSpec(ndim=rank + 2)
        self.state_size = -1  # states are feature maps, sized at build

    def build(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        if self.data_format == "channels_first":
            channel_axis, self.spatial_dims = 1, inputs_shape[2:]
        else:
            channel_axis, self.spatial_dims = -1, inputs_shape[1:-1]
        if None in self.spatial_dims:
            raise ValueError(f"ConvLSTM layers only support static input shapes for the spatial "
                             f"dimension. Received invalid input shape: "
                             f"input_shape={inputs_shape}")
        if inputs_shape[channel_axis] is None:
            raise ValueError(f"The channel dimension of the inputs should be defined. Found "
                             f"None. Full input shape received: input_shape={inputs_shape}")
        self.input_dim = inputs_shape[channel_axis]
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.input_dim, 4 * self.filters), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 4 * self.filters), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                filters, base, ones = self.filters, self.bias_initializer, initializers.get("ones")

                def forget_gate_ones(shape, dtype=None):
                    # [i: bias_initializer, f: ones, c and o: bias_initializer]
                    return ops.concatenate([base((filters,), dtype=dtype),
                                            ones((filters,), dtype=dtype),
                                            base((2 * filters,), dtype=dtype)])
                bias_initializer = forget_gate_ones
            self.bias = self.add_weight(shape=(4 * self.filters,), name="bias",
                                        initializer=bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def _add_bias(self, x, bias):
        if self.data_format == "channels_last":
            return ops.add(x, bias)
        return ops.add(x, ops.reshape(bias, (-1,) + (1,) * self.rank))

    def _input_conv(self, x, kernel):
        return ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate)

    def _recurrent_conv(self, h, kernel):
        return ops.conv(h, kernel, strides=1, padding="same", data_format=self.data_format)

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        x_masks = self.get_dropout_mask(inputs) if training and 0 < self.dropout < 1 else None
        h_masks = (self.get_recurrent_dropout_mask(h_prev)
                   if training and 0 < self.recurrent_dropout < 1 else None)
        channel_axis = -1 if self.data_format == "channels_last" else 1
        if x_masks is None and h_masks is None:
            # One convolution per transform for all four gates (they are linear in the
            # output channels), then split on the channel axis.
            z = ops.add(self._input_conv(inputs, self.kernel),
                        self._recurrent_conv(h_prev, self.recurrent_kernel))
            if self.bias is not None:
                z = self._add_bias(z, self.bias)
            gates = ops.split(z, 4, axis=channel_axis)
        else:
            kernels = ops.split(self.kernel, 4, axis=-1)
            recurrent_kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
            biases = ops.split(self.bias, 4) if self.bias is not None else [None] * 4
            gates = []
            for g in range(4):
                x = inputs if x_masks is None else ops.multiply(inputs, x_masks[g])
                h = h_prev if h_masks is None else ops.multiply(h_prev, h_masks[g])
                z = ops.add(self._input_conv(x, kernels[g]),
                            self._recurrent_conv(h, recurrent_kernels[g]))
                gates.append(z if biases[g] is None else self._add_bias(z, biases[g]))
        i = self.recurrent_activation(gates[0])
        f = self.recurrent_activation(gates[1])
        c = f * c_prev + i * self.activation(gates[2])
        o = self.recurrent_activation(gates[3])
        h = o * self.activation(c)
        return h, [h, c]

    def state_shape(self, batch_size):
        """Shape of each state (and of the output) for ``batch_size``."""
        spatial = tuple(conv_output_length(size, k, s, d, self.padding) for size, k, s, d in
                        zip(self.spatial_dims, self.kernel_size, self.strides,
                            self.dilation_rate))
        if self.data_format == "channels_last":
            return (batch_size, *spatial, self.filters)
        return (batch_size, self.filters, *spatial)

    def compute_output_shape(self, inputs_shape, states_shape=None):
        inputs_shape = tuple(inputs_shape)
        spatial_in = inputs_shape[1:-1] if self.data_format == "channels_last" \
            else inputs_shape[2:]
        spatial = tuple(conv_output_length(size, k, s, d, self.padding) for size, k, s, d in
                        zip(spatial_in, self.kernel_size, self.strides, self.dilation_rate))
        if self.data_format == "channels_last":
            shape = (inputs_shape[0], *spatial, self.filters)
        else:
            shape = (inputs_shape[0], self.filters, *spatial)
        return shape, [shape, shape]

    def get_initial_state(self, batch_size=None):
        shape = self.state_shape(batch_size)
        return [ops.zeros(shape, dtype=self.compute_dtype),
                ops.zeros(shape, dtype=self.compute_dtype)]

    def get_config(self):
        config = {
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": _serialize_or_none(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_or_none(self.recurrent_regularizer),
            "bias_regularizer": _serialize_or_none(self.bias_regularizer),
            "kernel_constraint": _serialize_or_none(self.kernel_constraint),
            "recurrent_constraint": _serialize_or_none(self.recurrent_constraint),
            "bias_constraint": _serialize_or_none(self.bias_constraint),
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


_CELL_ARGUMENTS = ("filters", "kernel_size", "strides", "padding", "data_format",
                   "dilation_rate", "activation", "recurrent_activation", "use_bias",
                   "kernel_initializer", "recurrent_initializer", "bias_initializer",
                   "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer",
                   "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                   "bias_constraint", "dropout", "recurrent_dropout")


class ConvLSTM(RNN):
    """The recurrent layer around a ``ConvLSTMCell``: input ``(batch, time,
    *spatial, channels)`` (channels_last) or ``(batch, time, channels,
    *spatial)``; output the last state ``h`` or, with ``return_sequences``,
    every step's ``h``; ``return_state`` adds the final ``[h, c]``."""

    rank = None

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell",
            dtype=kwargs.get("dtype"))
        kwargs.pop("unroll", None)  # a Keras RNN argument the ConvLSTM config carries
        kwargs.pop("zero_output_for_mask", None)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.input_spec = InputSpec(ndim=rank + 3)

    def __getattr__(self, name):
        # The cell's arguments read as the layer's own (layer.filters, ...).
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ARGUMENTS:
            return getattr(cell, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_rank(self, shape):
        rank = self.cell.rank + 3
        if len(shape) != rank:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected "
                f"ndim={rank} (batch, timesteps, {'spatial, ' * self.cell.rank}channels), found "
                f"ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def _create_state_variables(self, batch_size):
        shape = self.cell.state_shape(int(batch_size))
        count = 1
        for size in shape:
            count *= size
        load_limits.claim_unstored(
            2 * count * load_limits.itemsize(self.variable_dtype),
            f"the states of stateful layer {self.name!r} for batch size {batch_size}",
            "sized by the batch size in its config; states are not saved")
        self.states = [Variable(ops.convert_to_numpy(s), trainable=False,
                                dtype=self.variable_dtype, name="rnn_state")
                       for s in self.cell.get_initial_state(batch_size)]
        self._expected_batch_size = batch_size

    def get_initial_state(self, batch_size):
        return self.cell.get_initial_state(batch_size)

    def _checked_initial_state(self, initial_state, batch_size):
        given = tree.flatten(list(initial_state) if isinstance(initial_state, (list, tuple))
                             else [initial_state])
        if len(given) != 2:
            raise ValueError(f"Layer {self.name!r} expects 2 initial states ([h, c]), but it "
                             f"received {len(given)} initial state(s).")
        want = self.cell.state_shape(batch_size)
        for index, state in enumerate(given):
            if tuple(ops.shape(state)) != tuple(want):
                raise ValueError(f"Layer {self.name!r}: initial state {index} must have shape "
                                 f"{want}, but it has shape {tuple(ops.shape(state))}.")
        return list(given)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        shape = ops.shape(sequences)
        self._check_rank(shape)
        batch_size = shape[0]
        if initial_state is None:
            states = (list(self.states) if self.stateful and self.states is not None
                      else self.get_initial_state(batch_size))
        else:
            states = self._checked_initial_state(initial_state, batch_size)
        if self.stateful and self._expected_batch_size not in (None, batch_size):
            raise ValueError(f"Layer {self.name!r}: if an RNN is stateful, the batch size of the "
                             f"input sequences ({batch_size}) must be the batch size of the "
                             f"initial state ({self._expected_batch_size}).")
        states = [ops.cast(s, self.cell.compute_dtype)
                  if ops.dtype_of(s) != self.cell.compute_dtype else s for s in states]
        keep = None
        if mask is not None:
            mask = ops.cast(ops.stop_gradient(tree.flatten(mask)[0]), "bool")
            keep = ops.reshape(mask, tuple(ops.shape(mask)[:2]) + (1,) * (self.cell.rank + 1))
        self._config_dropout_masks(self.cell, sequences, states, training)
        steps = ops.unstack_steps(sequences)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        outputs, previous = [], None
        for t in order:
            output, new_states = self.cell(steps[t], states, training=training)
            if keep is not None:
                keep_t = ops.getitem(keep, (slice(None), t))
                new_states = [ops.where(keep_t, n, s) for n, s in zip(new_states, states)]
                if previous is None:
                    previous = ops.zeros(ops.shape(output), ops.dtype_of(output))
                output = ops.where(keep_t, output, previous)
            previous, states = output, list(new_states)
            outputs.append(output)
        self._reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, state in zip(self.states, states):
                variable.assign(ops.stop_gradient(state))
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        if self.return_state:
            return (output, *states)
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        batch_size, steps = sequences_shape[0], sequences_shape[1]
        state_shape = self.cell.compute_output_shape((batch_size,) + sequences_shape[2:])[0]
        output_shape = ((batch_size, steps) + state_shape[1:] if self.return_sequences
                        else state_shape)
        if self.return_state:
            return (output_shape, state_shape, state_shape)
        return output_shape

    def compute_mask(self, _, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self):
        config = {name: value for name, value in self.cell.get_config().items()
                  if name in _CELL_ARGUMENTS}
        config["activity_regularizer"] = _serialize_or_none(self.activity_regularizer)
        config["seed"] = self.cell.seed
        base = super().get_config()
        del base["cell"]
        return {**base, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


_LAYER_DOC = """{rank}D convolutional LSTM: an LSTM whose input-to-state and
    state-to-state transforms are {rank}D convolutions.

    Each step reads one frame ``(batch, {spatial}, channels)`` of the input
    sequence and keeps a hidden state and a cell state shaped like the
    output frame, with the LSTM's gates computed by convolutions instead of
    matrix products. Masks over the time axis are supported.

    Args:
        filters: positive int, the number of output channels (of each gate).
        kernel_size: int or tuple of {rank} ints, the convolution window.
        strides: int or tuple of {rank} ints, the strides of the input
            convolution (the recurrent one has stride 1). Default 1.
        padding: ``"valid"`` (the default) or ``"same"``, the padding of the
            input convolution; the recurrent convolution always uses
            ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; None (the
            default) uses ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of {rank} ints, the dilation of the input
            convolution. Default 1.
        activation: activation of the candidate and of the output;
            ``"tanh"`` by default.
        recurrent_activation: activation of the gates; ``"sigmoid"`` by
            default.
        use_bias: whether to add biases. Default True.
        kernel_initializer: initializer of ``kernel``. Default
            ``"glorot_uniform"``.
        recurrent_initializer: initializer of ``recurrent_kernel``. Default
            ``"orthogonal"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        unit_forget_bias: whether to initialize the forget gate's bias to
            1. Default True.
        kernel_regularizer: optional regularizer of ``kernel``.
        recurrent_regularizer: optional regularizer of ``recurrent_kernel``.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the layer's output.
        kernel_constraint: optional constraint on ``kernel``.
        recurrent_constraint: optional constraint on ``recurrent_kernel``.
        bias_constraint: optional constraint on the bias.
        dropout: float in [0, 1), the fraction of the input to drop in
            training. Default 0.
        recurrent_dropout: float in [0, 1), the fraction of the hidden state
            to drop in training. Default 0.
        seed: optional int, seed of the dropout masks.
        return_sequences: whether to return the output of every step.
            Default False (only the last).
        return_state: whether to also return the final hidden and cell
            states. Default False.
        go_backwards: whether to run over the sequence backwards. Default
            False.
        stateful: whether the final states of a batch are the initial
            states of the next call. Default False.

    Weights (in ``layer.cell``): ``kernel (*kernel_size, channels,
    4 * filters)``, ``recurrent_kernel (*kernel_size, filters, 4 * filters)``,
    ``bias (4 * filters,)``; gates ``[i, f, c, o]``.

    Input shape:
        ``(batch, time, {spatial}, channels)`` with ``channels_last``, or
        ``(batch, time, channels, {spatial})`` with ``channels_first``.

    Output shape:
        ``(batch, {out_spatial}, filters)`` (``channels_first``: filters
        before the spatial axes), with ``time`` after the batch axis when
        ``return_sequences``; the spatial sizes are those of the input
        convolution. With ``return_state``, followed by the final hidden
        and cell states, each of the last output's shape.

    Examples:
        >>> layer = brickwork.layers.ConvLSTM{rank}D(4, 3, padding="same")
        >>> layer(np.ones({shape}, "float32")).shape
        {out}
    """


def _layer_doc(rank):
    names = {1: "length", 2: "rows, cols", 3: "depth, rows, cols"}[rank]
    shape = (2, 5) + (6,) * rank + (3,)
    out = (2,) + (6,) * rank + (4,)
    return _LAYER_DOC.format(rank=rank, spatial=names, out_spatial=names.replace(
        "length", "new_length").replace("rows", "new_rows").replace("cols", "new_cols"),
        shape=shape, out=out)


def _convlstm_init(rank):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        ConvLSTM.__init__(
            self, rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful, **kwargs)
    return __init__


@keras_export("keras.layers.ConvLSTM1D")
class ConvLSTM1D(ConvLSTM):
    __doc__ = _layer_doc(1)
    __init__ = _convlstm_init(1)


@keras_export("keras.layers.ConvLSTM2D")
class ConvLSTM2D(ConvLSTM):
    __doc__ = _layer_doc(2)
    __init__ = _convlstm_init(2)


@keras_export("keras.layers.ConvLSTM3D")
class ConvLSTM3D(ConvLSTM):
    __doc__ = _layer_doc(3)
    __init__ = _convlstm_init(3)
