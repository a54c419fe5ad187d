"""Integer categories to dense vectors: ``CategoryEncoding``."""
from __future__ import annotations

from brickwork import ops
from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer
from brickwork.layers.preprocessing import encoding


@keras_export("keras.layers.CategoryEncoding")
class CategoryEncoding(Layer):
    """Encode integer features as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: The number of categories; inputs must lie in
            ``[0, num_tokens)`` (values outside encode as all zeros).
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is an alias),
            ``"one_hot"`` or ``"count"``.
        sparse: Unsupported here (no sparse tensors); must be False.

    Call arguments:
        inputs: Integer indices, rank 0, 1 or 2 (rank 1 is one sample for
            ``multi_hot`` and ``count``, a batch of scalars for ``one_hot``).
        count_weights: Weights of the same shape as ``inputs``, summed
            instead of counts in ``"count"`` mode.

    Output shape: ``one_hot`` adds a last axis of size ``num_tokens``
    (replacing a last axis of size 1); the other modes replace the last axis.

    Examples:
        >>> layer = brickwork.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
        >>> layer(np.array([3, 2, 0, 1]))
        array([[0., 0., 0., 1.],
               [0., 0., 1., 0.],
               [1., 0., 0., 0.],
               [0., 1., 0., 0.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        encoding.check_output_mode(f"CategoryEncoding {self.name!r}", output_mode,
                                   ("count", "one_hot", "multi_hot"))
        if num_tokens is None:
            raise ValueError(f"CategoryEncoding {self.name!r}: `num_tokens` must be set. If the "
                             f"number of tokens is not known beforehand, use an IntegerLookup "
                             f"layer instead")
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding {self.name!r}: `num_tokens` must be >= 1. "
                             f"Received: num_tokens={num_tokens}")
        if sparse:
            raise ValueError(f"CategoryEncoding {self.name!r}: `sparse=True` needs sparse "
                             f"tensors, which brickwork's backends do not have; use sparse=False")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding {self.name!r}: `count_weights` is used only "
                                 f"when output_mode='count'; got output_mode="
                                 f"{self.output_mode!r}")
            count_weights = ops.convert_to_tensor(count_weights, dtype=self.compute_dtype)
        return encoding.encode(inputs, self.output_mode, self.num_tokens, self.variable_dtype,
                               count_weights=count_weights)

    def compute_output_shape(self, input_shape):
        return encoding.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def compute_output_spec(self, inputs, count_weights=None):
        from brickwork.symbolic import KerasTensor
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
