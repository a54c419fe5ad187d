"""Regularization layers: Dropout."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import ops
from brickwork.layers.layer import Layer
from brickwork.random import SeedGenerator


def check_rate(layer_name, rate):
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
        raise ValueError(f"Invalid value received for argument `rate` of layer {layer_name!r}: "
                         f"expected a float in [0, 1), received rate={rate!r}")
    return float(rate)


@keras_export("keras.layers.Dropout")
class Dropout(Layer):
    """Randomly zeroes inputs during training to reduce overfitting.

    When called with ``training=True`` each entry is set to 0 with
    probability ``rate`` and the others are scaled by ``1 / (1 - rate)``, so
    the expected sum is unchanged. Otherwise (inference, the default) the
    layer returns its input. ``fit`` passes ``training=True`` for you.

    Args:
        rate: float in [0, 1), the fraction of the inputs to drop.
        noise_shape: optional tuple, the shape of the dropout mask, broadcast
            over the input; None entries take the input's size. For example
            ``(batch, 1, features)`` drops the same features at every
            timestep. Default None (the input's shape).
        seed: optional int, seed of the random mask.

    Call arguments:
        inputs: the input tensor.
        training: bool, whether to drop (True) or pass the input through.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.Dropout(0.5, seed=1)
        >>> x = np.ones((2, 4))
        >>> bool((layer(x) == x).all())
        True
        >>> sorted(set(np.asarray(layer(x, training=True)).ravel().tolist()))
        [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self.name, rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed) if self.rate > 0 else None
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = ops.shape(inputs)
        noise_shape = shape if self.noise_shape is None else tuple(
            size if wanted is None else wanted for wanted, size in zip(self.noise_shape, shape))
        return ops.dropout(inputs, self.rate, noise_shape, self.seed_generator.backend_generator())

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape)})
        return config
