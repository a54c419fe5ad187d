"""TimeDistributed: applies a layer to every time step of a sequence."""
from __future__ import annotations

from brickwork.api_export import keras_export
from brickwork import ops
from brickwork.layers.layer import Layer
from brickwork.layers.wrapper import Wrapper

#: Built-in layers whose output for one sample depends on that sample alone
#: (no batch statistics, no state): for these the time axis is folded into
#: the batch and the layer runs once on (batch * steps, ...).
_PER_SAMPLE_LAYERS = frozenset({
    "Dense", "EinsumDense", "Activation", "Flatten", "Reshape", "Embedding", "Masking",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "LayerNormalization", "ZeroPadding1D", "ZeroPadding2D",
    "UpSampling1D", "UpSampling2D", "Cropping1D", "Cropping2D", "ReLU", "LeakyReLU", "ELU",
    "Softmax", "PReLU",
})


@keras_export("keras.layers.TimeDistributed")
class TimeDistributed(Wrapper):
    """Applies a layer to every time step of a sequence, with the same weights.

    ``layer`` runs on each slice ``inputs[:, t]`` (where it can, the batch
    and time axes are merged so this is a single call); useful for applying
    a ``Dense`` or a ``Conv2D`` to each frame of a sequence.

    Args:
        layer: the layer to apply to each step.

    Input shape:
        ``(batch, timesteps, ...)``, at least 3 axes; ``layer`` sees
        ``(batch, ...)``.

    Output shape:
        ``(batch, timesteps) + layer's output shape without its batch axis``.
        The input's mask passes through.

    Examples:
        >>> layers.TimeDistributed(layers.Dense(8))(np.ones((2, 10, 16))).shape
        (2, 10, 8)
        >>> layers.TimeDistributed(layers.Conv2D(4, 3))(np.ones((2, 5, 12, 12, 3))).shape
        (2, 5, 10, 10, 4)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `Layer` "
                             f"instance. Received: {layer}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f"Layer {self.name!r}: `TimeDistributed` should be passed an "
                             f"input with at least 3 dimensions (batch, time, ...), received "
                             f"input shape {input_shape}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child_shape = self._child_input_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child_shape)
            self.layer._build_shapes = child_shape
            self.layer.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        child_output = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        return (child_output[0], input_shape[1], *child_output[1:])

    def call(self, inputs, training=None, mask=None):
        shape = ops.shape(inputs)
        self._child_input_shape(shape)
        batch, steps = shape[0], shape[1]
        if mask is not None:
            mask_shape = ops.shape(mask)
            if len(mask_shape) < 2 or tuple(mask_shape[:2]) != (batch, steps):
                raise ValueError(
                    f"Layer {self.name!r}: the `mask` passed to `TimeDistributed` has shape "
                    f"{tuple(mask_shape)}, incompatible with the input shape {tuple(shape)}: its "
                    f"first two dimensions must be (batch_size, timesteps) = ({batch}, {steps}).")
        kwargs = {}
        if self.layer._call_has_training_arg:
            kwargs["training"] = training
        if self._folds_time_into_batch():
            folded = ops.reshape(inputs, (batch * steps,) + tuple(shape[2:]))
            if self.layer._call_has_mask_arg and mask is not None:
                kwargs["mask"] = ops.reshape(mask, (batch * steps,) + tuple(ops.shape(mask)[2:]))
            outputs = self.layer.call(folded, **kwargs)
            return ops.reshape(outputs, (batch, steps) + tuple(ops.shape(outputs)[1:]))
        outputs = []
        for t in range(steps):
            if self.layer._call_has_mask_arg and mask is not None:
                kwargs["mask"] = ops.getitem(mask, (slice(None), t))
            outputs.append(self.layer.call(ops.getitem(inputs, (slice(None), t)), **kwargs))
        return ops.stack(outputs, axis=1)

    def _folds_time_into_batch(self):
        cls = type(self.layer)
        return cls.__name__ in _PER_SAMPLE_LAYERS and cls.__module__.startswith("brickwork.")

    def compute_mask(self, inputs, mask):
        return mask

