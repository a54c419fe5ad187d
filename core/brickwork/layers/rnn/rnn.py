"""The RNN base layer: runs a cell over the time axis of a sequence.

Built-in cells (SimpleRNNCell, LSTMCell, GRUCell) expose ``fused_sequence``,
which runs the whole sequence in one fused kernel call; any other cell (a
custom cell, StackedRNNCells) runs in a Python loop over time steps, one
cell call per step, differentiated by the tape.

Masked time steps follow Keras 3: a row's states carry over unchanged and
its output repeats the previous output (zeros before the first unmasked
step), or is zero with ``zero_output_for_mask``.
"""
from __future__ import annotations

import inspect

from brickwork.api_export import keras_export
from brickwork import ops, tree
from brickwork.layers.layer import Layer
from brickwork.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from brickwork.layers.rnn.stacked_rnn_cells import StackedRNNCells
from brickwork.saving import load_limits
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object
from brickwork.variables import Variable


@keras_export("keras.layers.RNN")
class RNN(Layer):
    """Base class of the recurrent layers: runs a cell over the time axis.

    A cell is a layer with ``call(inputs_t, states) -> (output_t,
    new_states)`` and a ``state_size`` (an int or a list of ints), and
    optionally ``output_size`` and ``get_initial_state(batch_size)``. A list
    of cells is stacked (as ``StackedRNNCells``). The built-in cells run the
    whole sequence in one fused kernel; other cells run step by step.
    Masked steps keep the previous state, and their output repeats the
    previous output (zeros with ``zero_output_for_mask``).

    Args:
        cell: a cell instance, or a list of cells to stack.
        return_sequences: whether to return the output of every step (True)
            or only the last one (False, the default).
        return_state: whether to also return the final states. Default False.
        go_backwards: whether to run over the sequence backwards (the outputs
            are then in reverse order). Default False.
        stateful: whether the final states of a batch are the initial states
            of the next call; the batch size must then be fixed, and
            ``reset_states()`` clears them. Default False.
        unroll: accepted for Keras compatibility; it changes nothing here.
        zero_output_for_mask: whether masked steps output zeros instead of
            repeating the previous output. Default False (``Bidirectional``
            sets it for sequences, so both directions line up).

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: optional list of initial states (the cell's
            ``get_initial_state`` or zeros by default).
        mask: optional boolean ``(batch, timesteps)``; taken from the input's
            mask when not passed.
        training: bool, passed to the cell (for dropout).
        constants: optional tensors passed to the cell's ``call`` at every
            step as ``constants=``.

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        ``(batch, output_size)``, or ``(batch, timesteps, output_size)`` with
        ``return_sequences``; with ``return_state``, followed by the final
        states.

    Examples:
        >>> class MinimalCell(layers.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = self.state_size = units
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units))
        ...     def call(self, inputs, states):
        ...         output = keras.ops.matmul(inputs, self.kernel) + states[0]
        ...         return output, [output]
        >>> layers.RNN(MinimalCell(4))(np.ones((2, 10, 8))).shape
        (2, 4)
        >>> layers.RNN([layers.LSTMCell(4), layers.LSTMCell(3)])(np.ones((2, 10, 8))).shape
        (2, 3)
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer "
                             "or list of integers, one integer per RNN state). "
                             f"Received: cell={cell}")
        super().__init__(**kwargs)
        self.zero_output_for_mask = zero_output_for_mask
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.supports_masking = True
        self.input_spec = None
        self.states = None
        self._expected_batch_size = None
        self._constants_shapes = None
        state_size = getattr(self.cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers "
                             "(one for each state tensor).")
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # -- shapes -------------------------------------------------------------------

    def _output_size(self):
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = self.state_size[0]
            if isinstance(output_size, (list, tuple)):
                output_size = output_size[0]
        return output_size

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size, length = sequences_shape[0], sequences_shape[1]
        states_shape = []
        for size in self.state_size:
            if isinstance(size, int):
                states_shape.append((batch_size, size))
            else:
                states_shape.append([(batch_size, s) for s in size])
        if self.return_sequences:
            output_shape = (batch_size, length, self._output_size())
        else:
            output_shape = (batch_size, self._output_size())
        if self.return_state:
            return (output_shape, *states_shape)
        return output_shape

    def compute_mask(self, _, mask):
        mask = tree.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    # -- building -----------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        constants = kwargs.get("constants")
        if constants is not None and "constants" not in inspect.signature(self.cell.call).parameters:
            raise ValueError(f"Layer {self.name!r} was called with `constants`, but its cell "
                             f"{type(self.cell).__name__}.call takes no `constants` argument.")
        if constants is not None and not self.built:
            self._constants_shapes = [tuple(c.shape) for c in tree.flatten(constants)]
        return super().__call__(*args, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self._check_rank(sequences_shape)
        step_input_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            if self._constants_shapes:
                self.cell.build([step_input_shape] + self._constants_shapes)
            else:
                self.cell.build(step_input_shape)
            self.cell.built = True
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        f"Layer {self.name!r}: when using `stateful=True` in a RNN, the batch "
                        f"size must be static. Found dynamic batch size: "
                        f"sequence.shape={sequences_shape}. Pass `batch_size=` to `Input` (or "
                        f"`batch_shape=`), or call the layer on data first.")
                self._create_state_variables(sequences_shape[0])
        self.built = True

    def _check_rank(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected "
                f"ndim=3 (batch, timesteps, features), found ndim={len(shape)}. Full shape "
                f"received: {tuple(shape)}")

    def _create_state_variables(self, batch_size):
        # States are not saved: while a file loads, its batch size must fit the load limit.
        load_limits.claim_unstored(
            int(batch_size) * sum(tree.flatten(self.state_size))
            * load_limits.itemsize(self.variable_dtype),
            f"the states of stateful layer {self.name!r} for batch size {batch_size}",
            "sized by the batch size in its config; states are not saved")
        states = tree.flatten(self.get_initial_state(batch_size))
        # A plain list: state variables are neither weights nor saved (as in Keras).
        self.states = [Variable(ops.convert_to_numpy(s), trainable=False, dtype=self.variable_dtype,
                                name="rnn_state") for s in states]
        self._expected_batch_size = batch_size

    def get_initial_state(self, batch_size):
        get_initial_state_fn = getattr(self.cell, "get_initial_state", None)
        if get_initial_state_fn:
            init_state = get_initial_state_fn(batch_size=batch_size)
        else:
            return [ops.zeros((batch_size, d), dtype=self.cell.compute_dtype)
                    for d in self.state_size]
        if not isinstance(init_state, (list, tuple)):
            init_state = [init_state]
        return list(init_state)

    def reset_states(self, states=None):
        """Compatibility alias of :meth:`reset_state`."""
        self.reset_state(states)

    def reset_state(self, states=None):
        """Zero the states of a stateful layer, or set them to ``states``
        (NumPy arrays, one per state, each ``(batch, state_size)``)."""
        if self.states is None:
            if not self.stateful:
                raise AttributeError(f"Layer {self.name!r} is not stateful: it keeps no states "
                                     f"to reset. Create it with `stateful=True`.")
            return
        if states is None:
            for variable in self.states:
                variable.assign(ops.convert_to_numpy(ops.zeros(variable.shape, variable.dtype)))
            return
        values = [states] if not isinstance(states, (list, tuple)) else list(states)
        if len(values) != len(self.states):
            raise ValueError(f"Layer {self.name!r} expects {len(self.states)} states, "
                             f"but it received {len(values)} state values.")
        for variable, value in zip(self.states, values):
            value = ops.convert_to_numpy(value)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(f"Layer {self.name!r}: state {variable.name!r} has shape "
                                 f"{variable.shape}, received a value of shape {value.shape}.")
            variable.assign(value)

    # -- calling ------------------------------------------------------------------

    def call(self, sequences, initial_state=None, mask=None, training=False, constants=None):
        shape = ops.shape(sequences)
        self._check_rank(shape)
        batch_size = shape[0]
        if initial_state is None:
            initial_state = (list(self.states) if self.stateful and self.states is not None
                             else self.get_initial_state(batch_size))
        else:
            initial_state = self._checked_initial_state(initial_state, batch_size)
        if self.stateful and self._expected_batch_size not in (None, batch_size):
            raise ValueError(
                f"Layer {self.name!r}: if an RNN is stateful, the batch size of the input "
                f"sequences must be the same as the batch size of the initial state.\n"
                f"- Expected batch size: {self._expected_batch_size}\n"
                f"- Received batch size: {batch_size}")
        initial_state = tree.map_structure(
            lambda s: ops.cast(s, self.cell.compute_dtype)
            if ops.dtype_of(s) != self.cell.compute_dtype else s, initial_state)
        if mask is not None:
            mask = tree.flatten(mask)[0]
            mask = ops.cast(ops.stop_gradient(mask), "bool")
        fused = None
        if constants is None and not self.unroll_requires_loop():
            fused_fn = getattr(self.cell, "fused_sequence", None)
            if fused_fn is not None:
                fused = fused_fn(sequences, initial_state, mask, training, self.go_backwards)
        if fused is not None:
            last_output, outputs, states = self._finish_fused(fused, mask)
        else:
            last_output, outputs, states = self._loop(sequences, initial_state, mask, training,
                                                      constants)
        self._reset_dropout_masks(self.cell)
        if self.stateful:
            for variable, state in zip(self.states, tree.flatten(states)):
                variable.assign(ops.stop_gradient(state))
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def unroll_requires_loop(self):
        """``unroll`` is accepted for compatibility; fused kernels already run
        the sequence without a symbolic loop, so it changes nothing here."""
        return False

    def _checked_initial_state(self, initial_state, batch_size):
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        given = tree.flatten(list(initial_state))
        expected = tree.flatten(self.state_size)
        if len(given) != len(expected):
            raise ValueError(
                f"Layer {self.name!r} expects {len(expected)} initial state(s) (state sizes "
                f"{self.state_size}), but it received {len(given)} initial state(s).")
        for index, (state, size) in enumerate(zip(given, expected)):
            want = (batch_size, size)
            got = ops.shape(state)
            if tuple(got) != want:
                raise ValueError(
                    f"Layer {self.name!r}: initial state {index} must have shape {want} "
                    f"(batch, state_size), but it has shape {tuple(got)}.")
        if isinstance(self.cell, StackedRNNCells):
            return _pack_like_states(self.cell.state_size, given)
        return list(given)

    def _processing_order_mask(self, mask):
        """The mask as float ``(B, T, 1)`` in processing order, and a weight
        that keeps each output: ``mask`` itself with ``zero_output_for_mask``,
        else whether any step so far was unmasked (outputs repeat)."""
        xp = ops.backend_xp()
        keep = ops.data_of(mask)
        if self.go_backwards:
            keep = keep[:, ::-1]
        keep = keep.astype(self.compute_dtype)
        if not self.zero_output_for_mask:
            keep = (xp.cumsum(keep, axis=1) > 0).astype(self.compute_dtype)
        return keep[:, :, None]

    def _finish_fused(self, fused, mask):
        h_seq, h_last, states = fused
        outputs = None
        if mask is None:
            if self.return_sequences:
                outputs = ops.transpose(h_seq, (1, 0, 2))
            return h_last, outputs, states
        weight = self._processing_order_mask(mask)
        if self.return_sequences:
            outputs = ops.multiply(ops.transpose(h_seq, (1, 0, 2)), weight)
        return ops.multiply(h_last, weight[:, -1]), outputs, states

    def _loop(self, sequences, initial_state, mask, training, constants):
        cell_kwargs = {}
        cell_call = self.cell.__call__ if isinstance(self.cell, Layer) else self.cell.call
        call_params = inspect.signature(self.cell.call).parameters
        if "training" in call_params:
            cell_kwargs["training"] = training
        if constants is not None:
            cell_kwargs["constants"] = list(constants) if isinstance(constants, (list, tuple)) \
                else [constants]
        self._config_dropout_masks(self.cell, sequences, initial_state, training)
        steps = ops.unstack_steps(sequences)
        order = range(len(steps) - 1, -1, -1) if self.go_backwards else range(len(steps))
        keep = None
        if mask is not None:
            keep = ops.data_of(mask)[:, :, None]
        states = initial_state
        outputs = []
        previous_output = None
        for t in order:
            output, new_states = cell_call(steps[t], states, **cell_kwargs)
            if not isinstance(new_states, (list, tuple)):
                new_states = [new_states]
            new_states = list(new_states)
            if keep is not None:
                keep_t = keep[:, t]
                carried = [ops.where(keep_t, n, s) for n, s in
                           zip(tree.flatten(new_states), tree.flatten(states))]
                new_states = tree.pack_like(new_states, carried)
                if self.zero_output_for_mask or previous_output is None:
                    previous_output = ops.zeros(ops.shape(output), ops.dtype_of(output))
                output = ops.where(keep_t, output, previous_output)
            previous_output = output
            states = new_states
            outputs.append(output)
        sequence = ops.stack(outputs, axis=1) if self.return_sequences else None
        return outputs[-1], sequence, states

    def _config_dropout_masks(self, cell, sequences, initial_state, training):
        """Draw the cells' dropout masks once for the whole sequence."""
        if not training:
            return
        step = ops.getitem(ops.stop_gradient(sequences), (slice(None), 0))
        if isinstance(cell, DropoutRNNCell):
            state = initial_state[0] if isinstance(initial_state, (list, tuple)) else initial_state
            cell.get_dropout_mask(step)
            cell.get_recurrent_dropout_mask(ops.stop_gradient(state))
        if isinstance(cell, StackedRNNCells):
            for inner in cell.cells:
                if isinstance(inner, DropoutRNNCell):
                    inner.get_dropout_mask(ops.zeros((ops.shape(step)[0],) + tuple(
                        inner.kernel.shape[:1]), ops.dtype_of(step)))
                    inner.get_recurrent_dropout_mask(ops.zeros(
                        (ops.shape(step)[0], inner.units), ops.dtype_of(step)))

    def _reset_dropout_masks(self, cell):
        if isinstance(cell, DropoutRNNCell):
            cell.reset_dropout_mask()
            cell.reset_recurrent_dropout_mask()
        if isinstance(cell, StackedRNNCells):
            for inner in cell.cells:
                self._reset_dropout_masks(inner)

    # -- configuration ------------------------------------------------------------

    def get_config(self):
        config = {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        config["cell"] = serialize_keras_object(self.cell)
        base_config = super().get_config()
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _pack_like_states(state_size, flat):
    """Group a flat list of initial states as StackedRNNCells expects."""
    packed, index = [], 0
    for size in state_size:
        if isinstance(size, int):
            packed.append(flat[index])
            index += 1
        else:
            packed.append(list(flat[index:index + len(size)]))
            index += len(size)
    return packed
