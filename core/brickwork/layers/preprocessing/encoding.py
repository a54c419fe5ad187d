"""Integer indices to dense encodings, shared by the categorical layers:
``int`` (a cast), ``one_hot``, ``multi_hot``, ``count`` and ``tf_idf``."""
from __future__ import annotations

from brickwork import ops

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def check_output_mode(layer_name, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(f"{layer_name}: invalid `output_mode` {output_mode!r}; expected one of "
                         f"{allowed}")


def encode(indices, output_mode, depth, dtype, count_weights=None, idf_weights=None):
    """Encode integer ``indices`` as Keras's ``encode_categorical_inputs``.

    ``one_hot`` adds a last axis of size ``depth`` (replacing a last axis of
    size 1); ``multi_hot``, ``count`` and ``tf_idf`` replace the last axis
    (a rank-1 input is one sample) by ``depth`` bins.
    """
    if output_mode == "int":
        return ops.cast(indices, dtype)
    if ops.ndim(indices) == 0:
        indices = ops.expand_dims(indices, -1)
    if output_mode == "one_hot":
        shape = tuple(ops.shape(indices))
        if len(shape) > 1 and shape[-1] == 1:
            indices = ops.reshape(indices, shape[:-1])
        return ops.one_hot(indices, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return ops.multi_hot(indices, depth, dtype=dtype)
    if count_weights is not None:
        dtype = ops.dtype_of(count_weights)
    one_hot = ops.one_hot(indices, depth, dtype=dtype)
    if count_weights is not None:
        one_hot = ops.multiply(one_hot, ops.expand_dims(count_weights, -1))
    counts = ops.sum(one_hot, axis=-2)
    if output_mode == "tf_idf":
        idf_weights = ops.convert_to_tensor(idf_weights, dtype=ops.dtype_of(counts))
        counts = ops.multiply(counts, idf_weights)
    return counts


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode`` for an input shape."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if input_shape[-1] == 1 and len(input_shape) > 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)
