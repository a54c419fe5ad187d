"""Masking: marks timesteps whose features all equal ``mask_value`` as skipped."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import ops
from brickwork.layers.layer import Layer
from brickwork.masks import set_keras_mask


def _timestep_kept(inputs, mask_value, keepdims):
    """True where any feature (last axis) differs from ``mask_value``."""
    differs = ops.not_equal(inputs, mask_value)
    return ops.backend_xp().any(differs, axis=-1, keepdims=keepdims)


@keras_export("keras.layers.Masking")
class Masking(Layer):
    """Masks the timesteps of a sequence whose features all equal ``mask_value``.

    A timestep is kept when any of its features differs from
    ``mask_value``. The layer passes the mask ``(batch, steps)`` on to the
    layers that follow (RNNs, attention, pooling and others then skip the
    masked steps), and its output holds zeros at the masked timesteps.

    Args:
        mask_value: the value that marks padding. Default 0.0.

    Input shape:
        ``(batch, steps, features)`` (any rank of at least 2: the last axis
        holds the features).

    Output shape:
        The input's shape; the mask has the input's shape without the last
        axis.

    Examples:
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> layer = layers.Masking(mask_value=0.0)
        >>> layer(x).shape
        (1, 3, 2)
        >>> layer.compute_mask(x)
        array([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, dict) and mask_value.get("config", None):
            from brickwork.saving.serialization import deserialize_keras_object
            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return _timestep_kept(inputs, self.mask_value, keepdims=False)

    def call(self, inputs):
        kept = _timestep_kept(ops.stop_gradient(inputs), self.mask_value, keepdims=True)
        outputs = ops.where(kept, inputs, ops.zeros((), ops.dtype_of(inputs)))
        set_keras_mask(outputs, ops.squeeze(kept, axis=-1))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
