"""Bidirectional: runs a recurrent layer forwards and a copy backwards."""
from __future__ import annotations

import copy

from brickwork.api_export import keras_export
from brickwork import ops
from brickwork.layers.layer import Layer
from brickwork.saving.serialization import deserialize_keras_object, serialize_keras_object

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _renamed_copy(layer, prefix, **overrides):
    config = serialize_keras_object(layer)
    name = layer.name[len(prefix):] if layer.name.startswith(prefix) else layer.name
    config["config"]["name"] = f"{prefix}{name}"
    config["config"].update(overrides)
    return deserialize_keras_object(config)


@keras_export("keras.layers.Bidirectional")
class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges
    the two outputs.

    The forward copy reads the sequence from start to end and the backward
    copy from end to start (by default a copy of ``layer`` with
    ``go_backwards`` flipped); with ``return_sequences`` the backward outputs
    are reversed back, so step ``t`` of both lines up. The weights are the
    forward layer's, then the backward layer's.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``,
            ...) to run forwards.
        merge_mode: how to combine the two outputs: ``"concat"`` (the
            default), ``"sum"``, ``"mul"``, ``"ave"``, or None to return them
            as a list ``[forward, backward]``.
        weights: optional initial weights: the forward layer's, then the
            backward layer's.
        backward_layer: optional recurrent layer to use as the backward
            direction; it must have the opposite ``go_backwards`` and the same
            ``return_sequences``, ``return_state`` and ``stateful``.

    Call arguments:
        inputs: ``(batch, timesteps, features)``.
        mask: optional boolean ``(batch, timesteps)``.
        training: bool, passed to both layers.
        initial_state: optional list: the forward states, then the backward
            states.

    Input shape:
        ``(batch, timesteps, features)``.

    Output shape:
        The wrapped layer's output shape, with the last axis doubled for
        ``"concat"``; with ``return_state``, followed by the forward then the
        backward final states.

    Examples:
        >>> x = np.ones((2, 10, 8))
        >>> layers.Bidirectional(layers.LSTM(4))(x).shape
        (2, 8)
        >>> layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="sum")(x).shape
        (2, 10, 4)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `Layer` instance. "
                             f"Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` need to be a `Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             f'one of {{"sum", "mul", "ave", "concat", None}}')
        super().__init__(**kwargs)
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            self.backward_layer = _renamed_copy(layer, "backward_",
                                                go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self._verify_layer_config()
        # Masked steps give zero outputs, so that the two directions line up.
        for inner in (self.forward_layer, self.backward_layer):
            if getattr(inner, "zero_output_for_mask", None) is not None:
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        if weights:
            half = len(weights) // 2
            self._initial_weights = (weights[:half], weights[half:])
        else:
            self._initial_weights = None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                f"Layer {self.name!r}: forward layer and backward layer should have different "
                f"`go_backwards` value. Received: forward_layer.go_backwards="
                f"{forward.go_backwards}, backward_layer.go_backwards={backward.go_backwards}")
        for attribute in ("stateful", "return_sequences", "return_state"):
            f_value, b_value = getattr(forward, attribute), getattr(backward, attribute)
            if f_value != b_value:
                raise ValueError(
                    f"Layer {self.name!r}: forward layer and backward layer are expected to "
                    f"have the same value for attribute {attribute!r}, got {f_value!r} for "
                    f"forward layer and {b_value!r} for backward layer")

    def build(self, sequences_shape, initial_state_shape=None):
        for inner in (self.forward_layer, self.backward_layer):
            if not inner.built:
                inner.build(sequences_shape)
                inner._build_shapes = tuple(sequences_shape)
                inner.built = True
        if self._initial_weights is not None:
            self.forward_layer.set_weights(self._initial_weights[0])
            self.backward_layer.set_weights(self._initial_weights[1])
            self._initial_weights = None
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shape = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        if self.return_state:
            if self.merge_mode is None:
                return tuple(output_shape) + state_shape + state_shape
            return (output_shape,) + state_shape + state_shape
        return output_shape if self.merge_mode is not None else list(output_shape)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training_arg:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask_arg:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return (output,) + states
        return output

    def compute_mask(self, _, mask):
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            output_mask = (mask, mask) if not self.merge_mode else mask
        else:
            output_mask = (None, None) if not self.merge_mode else None
        if self.return_state and self.states is not None:
            state_mask = tuple(None for _ in self.states)
            if isinstance(output_mask, tuple):
                return output_mask + state_mask
            return (output_mask,) + state_mask
        return output_mask

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states) + tuple(self.backward_layer.states)
        return None

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f"Layer {self.name!r} must be stateful to reset its states.")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def get_config(self):
        config = {"merge_mode": self.merge_mode,
                  "layer": serialize_keras_object(self.forward_layer),
                  "backward_layer": serialize_keras_object(self.backward_layer)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        if isinstance(config.get("layer"), dict):
            # Only copied (forward_, backward_): built, it would make weights to throw away.
            config["layer"].pop("build_config", None)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(backward,
                                                                custom_objects=custom_objects)
        return cls(**config)
