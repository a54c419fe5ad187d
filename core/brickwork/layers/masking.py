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
    """Zeroes timesteps whose features all equal ``mask_value`` and gives
    downstream layers the mask ``any(inputs != mask_value, axis=-1)``."""

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
