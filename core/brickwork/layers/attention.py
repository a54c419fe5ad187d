"""Attention layers: Attention (Luong-style dot-product or concat scores),
AdditiveAttention (Bahdanau-style), MultiHeadAttention and
GroupedQueryAttention (with EinsumDense projections, as in Keras 3)."""
from __future__ import annotations

from brickwork.api_export import keras_export

import math
import string

from brickwork import constraints, initializers, ops, regularizers
from brickwork.layers.activation_layers import masked_softmax
from brickwork.layers.einsum_dense import EinsumDense
from brickwork.layers.layer import Layer
from brickwork.masks import get_keras_mask
from brickwork.random import SeedGenerator
from brickwork.symbolic import KerasTensor
from brickwork.autodiff import Tensor
from brickwork.variables import Variable

# Attention subtracts this from masked scores (Keras' value; 65504 in float16).
_MASKED_SCORE_OFFSET = 1e9
_MASKED_SCORE_OFFSET_FLOAT16 = 65504.0


def _check_dropout(layer, rate):
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): `dropout` must be a "
                         f"float in [0, 1), received dropout={rate!r}")
    return rate


def causal_mask(query_length, value_length):
    """``(1, Tq, Tv)`` boolean mask: query ``i`` may attend to values ``j <= i``."""
    rows = ops.reshape(ops.arange(query_length), (1, query_length, 1))
    cols = ops.reshape(ops.arange(value_length), (1, 1, value_length))
    return ops.greater_equal(rows, cols)

def combined_attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                            use_causal_mask, sliding_window):
    """Every mask of an attention call as one boolean ``(batch, Tq, Tv)``-
    broadcastable mask (None when there is none): the query's and the
    value's/key's Keras masks, a causal mask, a sliding window of
    ``|i - j| < sliding_window`` and the explicit ``attention_mask``."""
    combined = None

    def both(mask):
        return mask if combined is None else ops.logical_and(combined, mask)
    if query_mask is not None:
        combined = ops.expand_dims(_as_bool(query_mask), -1)
    for mask in (value_mask, key_mask):
        if mask is not None:
            combined = both(ops.expand_dims(_as_bool(mask), -2))
    query_length, value_length = ops.shape(query)[1], ops.shape(value)[1]
    if use_causal_mask:
        combined = both(causal_mask(query_length, value_length))
    if sliding_window is not None:
        rows = ops.reshape(ops.arange(query_length), (1, query_length, 1))
        cols = ops.reshape(ops.arange(value_length), (1, 1, value_length))
        combined = both(ops.less(ops.abs(ops.subtract(rows, cols)), sliding_window))
    if attention_mask is not None:
        combined = both(_as_bool(attention_mask))
    return combined



def _as_bool(mask):
    return mask if ops.dtype_of(mask) == "bool" else ops.cast(mask, "bool")


def _dropout(x, rate, seed_generator, training):
    if not training or rate == 0:
        return x
    return ops.dropout(x, rate, ops.shape(x), seed_generator.backend_generator())


@keras_export("keras.layers.Attention")
class Attention(Layer):
    """Dot-product attention (Luong-style): ``softmax(scores) @ value``.

    The layer is called on a list ``[query, value]`` or ``[query, value,
    key]`` (``key`` defaults to ``value``). With ``score_mode="dot"`` the
    scores are ``query @ key^T`` (times ``scale`` when ``use_scale``); with
    ``"concat"`` they are ``concat_score_weight * sum(tanh(scale * (query +
    key)), axis=-1)`` over each query/key pair. The softmax runs over the
    value steps. The layer has no projections: the inputs' last axes are
    used as they are.

    Args:
        use_scale: whether to learn a scalar ``scale`` for the scores.
            Default False.
        score_mode: ``"dot"`` (the default) or ``"concat"``, the score
            function.
        dropout: float in [0, 1), the fraction of the attention weights to
            drop in training. Default 0.
        seed: optional int, seed of the dropout.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: optional ``[query_mask, value_mask]``, boolean ``(batch, Tq)``
            and ``(batch, Tv)``: masked value steps get no attention, masked
            query steps give zeros. Taken from the inputs' masks when omitted.
        training: bool, whether to apply dropout.
        return_attention_scores: bool, whether to also return the attention
            weights ``(batch, Tq, Tv)``.
        use_causal_mask: bool, whether query step ``i`` may only attend to
            value steps ``j <= i`` (for decoders).

    Input shape:
        ``query`` ``(batch, Tq, dim)``, ``value`` ``(batch, Tv, dim_v)`` and
        ``key`` ``(batch, Tv, dim)``.

    Output shape:
        ``(batch, Tq, dim_v)``, and the weights ``(batch, Tq, Tv)`` when
        asked for. The output's mask is the query's mask.

    Examples:
        >>> query, value = np.ones((2, 3, 4)), np.ones((2, 5, 4))
        >>> layers.Attention()([query, value]).shape
        (2, 3, 4)
        >>> output, weights = layers.Attention()([query, value], return_attention_scores=True)
        >>> weights.shape
        (2, 3, 5)
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Layer {self.name!r}: invalid value for argument score_mode. "
                             f"Expected one of {{'dot', 'concat'}}. Received: "
                             f"score_mode={score_mode!r}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = _check_dropout(self, dropout)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed) if self.dropout > 0 else None

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        # A single shape (a tuple of ints) is not a list of inputs either.
        if not isinstance(inputs, (list, tuple)) or any(
                i is None or isinstance(i, int) for i in inputs):
            raise ValueError(f"{name} layer {self.name!r} must be called on a list of inputs, "
                             f"namely [query, value] or [query, value, key]. Received: "
                             f"inputs={inputs!r}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer {self.name!r} accepts inputs list of length 2 or 3, "
                             f"namely [query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer {self.name!r} mask must be a list, namely "
                                 f"[query_mask, value_mask]. Received: mask={mask!r}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} layer {self.name!r} accepts mask list of length 2 or "
                                 f"3. Received a mask list of length {len(mask)}.")

    def build(self, input_shape):
        self._validate(input_shape)
        query_shape, value_shape = input_shape[0], input_shape[1]
        key_shape = input_shape[2] if len(input_shape) > 2 else value_shape
        if self.score_mode == "dot" and None not in (query_shape[-1], key_shape[-1]) \
                and query_shape[-1] != key_shape[-1]:
            raise ValueError(f"Attention layer {self.name!r}: query and key must have the same "
                             f"last dimension for dot-product scores, received query shape "
                             f"{tuple(query_shape)} and key shape {tuple(key_shape)}")
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.transpose(key, (*range(len(ops.shape(key)) - 2), -1, -2)))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._scores(query, key)
        keep = None
        if value_mask is not None:
            keep = ops.expand_dims(_as_bool(value_mask), -2)
        if use_causal_mask:
            shape = ops.shape(scores)
            causal = causal_mask(shape[-2], shape[-1])
            keep = causal if keep is None else ops.logical_and(keep, causal)
        if keep is not None:
            offset = (_MASKED_SCORE_OFFSET_FLOAT16 if ops.dtype_of(scores) == "float16"
                      else _MASKED_SCORE_OFFSET)
            scores = ops.where(keep, scores, ops.subtract(scores, offset))
        weights = ops.softmax(scores, axis=-1)
        dropped = _dropout(weights, self.dropout, self.seed_generator, training)
        output = ops.matmul(dropped, value)
        if query_mask is not None:
            keep_query = ops.expand_dims(_as_bool(query_mask), -1)
            output = ops.where(keep_query, output, ops.zeros((), ops.dtype_of(output)))
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs, previous_mask):
        self._validate(inputs, previous_mask)
        if previous_mask is None or previous_mask[0] is None:
            return None
        return previous_mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor(self.compute_output_shape([query.shape, value.shape]),
                             dtype=self.compute_dtype)
        if return_attention_scores:
            return output, KerasTensor((*query.shape[:-1], key.shape[-2]), dtype=self.compute_dtype)
        return output

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config


# -- MultiHeadAttention ---------------------------------------------------------------


def projection_equation(free_dims, bound_dims, output_dims):
    """Einsum equation and bias axes of a projection: ``free_dims`` input axes
    pass through, ``bound_dims`` are contracted, ``output_dims`` are created."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    created = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{created}->{free}{created}", created, free_dims + output_dims


def attention_equations(rank, attention_axes):
    """Einsum equations of ``scores = key . query`` and ``output = scores . value``
    for projected tensors of ``rank`` (batch, *axes, heads, channels), attending
    over ``attention_axes``; also the rank of the scores."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = ("".join(target[i] for i in batch_dims) + "".join(target[i] for i in attention_axes)
               + "".join(source[i] for i in attention_axes))
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


@keras_export("keras.layers.MultiHeadAttention")
class MultiHeadAttention(Layer):
    """Multi-head attention, as in "Attention Is All You Need" (Vaswani et al.,
    2017).

    ``query``, ``key`` and ``value`` are projected into ``num_heads`` heads
    (``key_dim`` units per head for queries and keys, ``value_dim`` for
    values); each head computes ``softmax(query @ key^T / sqrt(key_dim)) @
    value``, and the heads are concatenated and projected back to the query's
    last size (or ``output_shape``). With ``query`` and ``value`` the same
    tensor this is self-attention.

    Weights (Keras's layout): ``query``/``key`` kernels ``(dim, num_heads,
    key_dim)``, the ``value`` kernel ``(dim, num_heads, value_dim)``, their
    biases ``(num_heads, key_dim or value_dim)``, and the
    ``attention_output`` kernel ``(num_heads, value_dim, out)`` with bias
    ``(out,)``.

    Args:
        num_heads: positive int, the number of attention heads.
        key_dim: positive int, the size of each head for queries and keys.
        value_dim: positive int or None, the size of each head for values;
            None (the default) uses ``key_dim``.
        dropout: float in [0, 1), the fraction of the attention weights to
            drop in training. Default 0.
        use_bias: whether the projections have biases. Default True.
        output_shape: int or tuple, the output's last axes; None (the
            default) gives the query's last size.
        attention_axes: int or tuple of ints, the axes attention runs over;
            None (the default) uses every axis between the batch and the
            features (the sequence axis for 3D inputs).
        sliding_window: positive int or None; when set, each query attends
            only to keys fewer than ``sliding_window`` positions away.
        flash_attention: accepted for Keras compatibility; brickwork always
            computes exact attention (and refuses ``dropout > 0`` with it, as
            Keras does).
        kernel_initializer: initializer of the projection kernels. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the projection biases. Default
            ``"zeros"``.
        kernel_regularizer: optional regularizer of the projection kernels.
        bias_regularizer: optional regularizer of the projection biases.
        activity_regularizer: optional regularizer of the projections'
            outputs.
        kernel_constraint: optional constraint on the projection kernels.
        bias_constraint: optional constraint on the projection biases.
        use_gate: whether to multiply the attention output, before the output
            projection, by a sigmoid gate computed from the query (gated
            attention). Default False.
        seed: optional int, seed of the dropout.

    Call arguments:
        query: ``(batch, Tq, dim)``.
        value: ``(batch, Tv, dim_v)``.
        key: optional ``(batch, Tv, dim_k)``; defaults to ``value``.
        attention_mask: optional boolean ``(batch, Tq, Tv)``, True where a
            query may attend to a key. Combined with the query/value/key masks
            (taken from the tensors' masks when not passed).
        return_attention_scores: bool, whether to also return the attention
            weights ``(batch, num_heads, Tq, Tv)``.
        training: bool, whether to apply dropout.
        use_causal_mask: bool, whether query ``i`` may only attend to keys
            ``j <= i``.

    Input shape:
        ``query`` ``(batch, Tq, dim)``; ``value`` and ``key`` ``(batch, Tv,
        ...)`` with equal axes except the last.

    Output shape:
        The query's shape, with the last axis replaced by ``output_shape``
        when it is given.

    Examples:
        >>> layer = layers.MultiHeadAttention(num_heads=2, key_dim=8)
        >>> query, value = np.ones((2, 5, 16)), np.ones((2, 7, 16))
        >>> layer(query, value).shape
        (2, 5, 16)
        >>> output, scores = layer(query, value, return_attention_scores=True)
        >>> scores.shape
        (2, 2, 5, 7)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        def positive(name, value, allow_none=False):
            if value is None and allow_none:
                return
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"MultiHeadAttention: received an invalid value for argument "
                                 f"`{name}`, expected a positive integer"
                                 f"{' or None' if allow_none else ''}. Received: {name}={value!r}")
        positive("num_heads", num_heads)
        positive("key_dim", key_dim)
        positive("value_dim", value_dim, allow_none=True)
        positive("sliding_window", sliding_window, allow_none=True)
        # The layer's activity_regularizer goes to the projections, as in Keras.
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = _check_dropout(self, dropout)
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except (TypeError, ValueError):
                raise ValueError(f"MultiHeadAttention {self.name!r}: invalid `output_shape`: "
                                 f"{output_shape!r}. When specified, the `output_shape` should be "
                                 f"of type tuple, list, or int.") from None
        self._output_shape = output_shape or None
        # brickwork has no flash kernel; the flag is accepted and attention is exact either way.
        self._flash_attention = bool(flash_attention)
        if self._flash_attention and self._dropout > 0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please "
                             "set dropout to 0.0 to use flash attention.")
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"MultiHeadAttention {self.name!r}: `attention_axes` must be an "
                             f"int, list, or tuple. Received: attention_axes={attention_axes!r}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = sliding_window
        self.seed = seed
        self._seed_generator = SeedGenerator(seed) if self._dropout > 0 else None
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))
        self._shapes_dict = None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    # Public names of the projections: Keras's weight walk visits these before
    # the private attributes, so a file stores them under ``query_dense/...``.
    query_dense = property(lambda self: self.__dict__.get("_query_dense"))
    key_dense = property(lambda self: self.__dict__.get("_key_dense"))
    value_dense = property(lambda self: self.__dict__.get("_value_dense"))
    output_dense = property(lambda self: self.__dict__.get("_output_dense"))

    # -- building ---------------------------------------------------------------------

    def _build_for(self, query, value, key):
        if self.built:
            return
        self.build(tuple(query.shape), tuple(value.shape),
                   None if key is None else tuple(key.shape))

    def _sublayer_kwargs(self):
        def fresh(initializer):
            if hasattr(initializer, "get_config"):
                return type(initializer).from_config(initializer.get_config())
            return initializer
        return dict(kernel_initializer=fresh(self._kernel_initializer),
                    bias_initializer=fresh(self._bias_initializer),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy)

    def _projection(self, name, rank, width, activation=None):
        equation, bias_axes, output_rank = projection_equation(rank - 1, 1, 2)
        return EinsumDense(equation, [None] * (output_rank - 3) + [self._num_heads, width],
                           bias_axes=bias_axes if self._use_bias else None,
                           activation=activation, name=name, **self._sublayer_kwargs())

    def build(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        self._shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not None:
            self._shapes_dict["key_shape"] = tuple(key_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"MultiHeadAttention {self.name!r}: all dimensions of `value` and "
                             f"`key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        if len(query_shape) != len(value_shape):
            raise ValueError(f"MultiHeadAttention {self.name!r}: `query` and `value` must have "
                             f"the same rank. Received: query_shape={query_shape} and "
                             f"value_shape={value_shape}")
        # Sub-layers are assigned in Keras' order, which is the weights' order.
        self._query_dense = self._projection("query", len(query_shape), self._key_dim)
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("key", len(key_shape), self._key_dim)
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection("gate", len(query_shape), self._value_dim,
                                                activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("value", len(value_shape), self._value_dim)
        self._value_dense.build(value_shape)
        rank = len(value_shape) + 1  # projected tensors: (batch, *axes, heads, channels)
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else rank - 1 + a
                                         for a in self._attention_axes)
        for axis in self._attention_axes:
            if not 1 <= axis < rank - 2:
                raise ValueError(f"MultiHeadAttention {self.name!r}: attention axis {axis} is "
                                 f"out of range for inputs of shape {query_shape} (valid: the "
                                 f"axes between the batch axis and the feature axis)")
        self._dot_product_equation, self._combine_equation, scores_rank = attention_equations(
            rank, self._attention_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, output_rank = projection_equation(len(query_shape) - 1, 2,
                                                               len(output_shape))
        self._output_dense = EinsumDense(
            equation, [None] * (output_rank - 1 - len(output_shape)) + list(output_shape),
            bias_axes=bias_axes if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        projected = list(self._query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self._output_dense.build(tuple(projected))
        self.built = True

    def get_build_config(self):
        if self._shapes_dict is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._shapes_dict.items()}}

    def build_from_config(self, config):
        shapes = (config or {}).get("shapes_dict")
        if shapes and not self.built:
            self.build(**{k: tuple(v) for k, v in shapes.items()})

    # -- masks ------------------------------------------------------------------------

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        return combined_attention_mask(query, value, query_mask, value_mask, key_mask,
                                       attention_mask, use_causal_mask, self._sliding_window)

    # -- calling ----------------------------------------------------------------------

    def _convert(self, x):
        """``value`` and ``key`` as backend arrays or tracked tensors of the
        compute dtype (the base class converts only the first argument)."""
        if x is None:
            return x
        if not isinstance(x, (Tensor, Variable)):
            x = ops.convert_to_tensor(x)
        dtype = ops.dtype_of(x)
        if dtype.startswith("float") and dtype != self.compute_dtype:
            return ops.cast(x, self.compute_dtype)
        return x

    def _compute_attention(self, query, key, value, attention_mask, training):
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, ops.dtype_of(query)))
        scores = ops.einsum(self._dot_product_equation, key, query)
        if attention_mask is not None:
            # (batch, Tq, Tv) gains the head axis (and any batch-like axes) before Tq.
            expansion_axis = -len(self._attention_axes) * 2 - 1
            for _ in range(len(ops.shape(scores)) - len(ops.shape(attention_mask))):
                attention_mask = ops.expand_dims(attention_mask, expansion_axis)
        scores = masked_softmax(scores, attention_mask, self._norm_axes)
        dropped = _dropout(scores, self._dropout, self._seed_generator, training)
        return ops.einsum(self._combine_equation, dropped, value), scores

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if query_mask is None:
            query_mask = get_keras_mask(query)
        if value_mask is None:
            value_mask = get_keras_mask(value)
        if key is not None and key_mask is None:
            key_mask = get_keras_mask(key)
        query, value, key = self._convert(query), self._convert(value), self._convert(key)
        self._build_for(query, value, key)
        key = value if key is None else key
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        output, scores = self._compute_attention(query, key, value, mask, training)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"MultiHeadAttention {self.name!r}: all dimensions of `value` and "
                             f"`key`, except the last one, must be equal. Received: "
                             f"value_shape={value_shape} and key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def _scores_shape(self, query_shape, value_shape):
        batch_axes = [i for i in range(1, len(query_shape) - 1) if i not in self._attention_axes]
        return ((query_shape[0],) + tuple(query_shape[i] for i in batch_axes)
                + (self._num_heads,) + tuple(query_shape[i] for i in self._attention_axes)
                + tuple(value_shape[i] for i in self._attention_axes))

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        self._build_for(query, value, key)
        shape = self.compute_output_shape(query.shape, value.shape,
                                          None if key is None else key.shape)
        output = KerasTensor(shape, dtype=self.compute_dtype)
        if return_attention_scores:
            scores = KerasTensor(self._scores_shape(query.shape, value.shape),
                                 dtype=self.compute_dtype)
            return output, scores
        return output

    def compute_mask(self, inputs, previous_mask):
        return previous_mask  # the query's mask

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object

        def optional(obj):
            return None if obj is None else serialize_keras_object(obj)
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": optional(self._kernel_regularizer),
            "bias_regularizer": optional(self._bias_regularizer),
            "activity_regularizer": optional(self._activity_regularizer),
            "kernel_constraint": optional(self._kernel_constraint),
            "bias_constraint": optional(self._bias_constraint),
            "seed": self.seed,
        })
        return config


@keras_export("keras.layers.AdditiveAttention")
class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention:
    ``scores[b, i, j] = sum(scale * tanh(query[b, i] + key[b, j]))``.

    Args:
        use_scale: if True, learn a ``scale`` vector of the feature size
            (glorot-uniform initialized); otherwise the scale is 1.
        dropout: fraction of the attention weights to drop in training.

    Called on ``[query, value]`` or ``[query, value, key]``, with the same
    call arguments as ``Attention`` (masks, ``return_attention_scores``,
    ``use_causal_mask``).

    Input shape:
        ``query`` ``(batch, Tq, dim)``, ``value`` ``(batch, Tv, dim)`` and
        ``key`` ``(batch, Tv, dim)``.

    Output shape:
        ``(batch, Tq, dim)``, and the ``(batch, Tq, Tv)`` weights with
        ``return_attention_scores=True``.

    Examples:
        >>> layer = brickwork.layers.AdditiveAttention()
        >>> layer([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape
        (2, 3, 4)
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        query_shape, value_shape = input_shape[0], input_shape[1]
        key_shape = input_shape[2] if len(input_shape) > 2 else value_shape
        if None not in (query_shape[-1], key_shape[-1]) and query_shape[-1] != key_shape[-1]:
            raise ValueError(f"AdditiveAttention layer {self.name!r}: query and key must have "
                             f"the same last dimension, received query shape "
                             f"{tuple(query_shape)} and key shape {tuple(key_shape)}")
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(query_shape[-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _scores(self, query, key):
        pairs = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


@keras_export("keras.layers.GroupQueryAttention")
class GroupedQueryAttention(Layer):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads``
    query heads share ``num_key_value_heads`` key/value heads, each shared
    by ``num_query_heads // num_key_value_heads`` query heads (one key/value
    head is multi-query attention; as many as the query heads is
    multi-head attention).

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; must divide
            ``num_query_heads``.
        dropout: dropout rate on the attention probabilities (training only).
        use_bias: whether the projections have biases.
        sliding_window: optional positive int; each query attends only to
            keys less than ``sliding_window`` positions away.
        flash_attention: accepted for compatibility; attention is exact.
        kernel_initializer: initializer of the projection kernels. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the projection biases. Default
            ``"zeros"``.
        kernel_regularizer: optional regularizer of the projection kernels.
        bias_regularizer: optional regularizer of the projection biases.
        activity_regularizer: optional regularizer applied to the
            projections' outputs and to the layer's output.
        kernel_constraint: optional constraint on the projection kernels.
        bias_constraint: optional constraint on the projection biases.
        use_gate: gate the attention output with a sigmoid projection of the
            query (Gated Attention).
        seed: seed of the dropout.

    Weights (Keras's layout): ``query`` kernel ``(dim, num_query_heads,
    head_dim)``, ``key``/``value`` kernels ``(dim, num_key_value_heads,
    head_dim)``, biases without the first axis, ``attention_output`` kernel
    ``(num_query_heads, head_dim, dim)`` and bias ``(dim,)``.

    Called as ``layer(query, value, key=None, attention_mask=None, ...)``
    with the call arguments of ``MultiHeadAttention``.

    Input shape:
        ``query`` ``(batch, Tq, dim)``; ``value`` and ``key`` ``(batch, Tv,
        dim)``.

    Output shape:
        ``(batch, Tq, dim)`` and, with ``return_attention_scores=True``, the
        ``(batch, num_query_heads, Tq, Tv)`` attention probabilities.

    Examples:
        >>> layer = brickwork.layers.GroupQueryAttention(8, num_query_heads=4,
        ...                                             num_key_value_heads=2)
        >>> layer(np.ones((2, 5, 16)), np.ones((2, 7, 16))).shape
        (2, 5, 16)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("head_dim", head_dim), ("num_query_heads", num_query_heads),
                            ("num_key_value_heads", num_key_value_heads)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"GroupQueryAttention {self.name!r}: `{name}` must be a "
                                 f"positive integer, received {name}={value!r}")
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(f"GroupQueryAttention {self.name!r}: `num_query_heads` must be "
                             f"divisible by `num_key_value_heads`. Received: "
                             f"num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        if sliding_window is not None and (not isinstance(sliding_window, int)
                                           or sliding_window <= 0):
            raise ValueError(f"GroupQueryAttention {self.name!r}: `sliding_window` must be "
                             f"`None` or a positive integer. Received: "
                             f"sliding_window={sliding_window!r}")
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = _check_dropout(self, dropout)
        self.use_bias = use_bias
        self.use_gate = use_gate
        self.sliding_window = sliding_window
        self._flash_attention = bool(flash_attention)
        if self._flash_attention and self.dropout > 0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please "
                             "set dropout to 0.0 to use flash attention.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._seed_generator = SeedGenerator(seed) if self.dropout > 0 else None
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))

    def _sublayer_kwargs(self):
        def fresh(initializer):
            if hasattr(initializer, "get_config"):
                return type(initializer).from_config(initializer.get_config())
            return initializer
        return dict(kernel_initializer=fresh(self.kernel_initializer),
                    bias_initializer=fresh(self.bias_initializer),
                    kernel_regularizer=self.kernel_regularizer,
                    bias_regularizer=self.bias_regularizer,
                    activity_regularizer=self.activity_regularizer,
                    kernel_constraint=self.kernel_constraint,
                    bias_constraint=self.bias_constraint, dtype=self.dtype_policy)

    def _projection(self, name, heads, equation, bias_axes, activation=None):
        return EinsumDense(equation, (None, heads, self.head_dim),
                           bias_axes=bias_axes if self.use_bias else None,
                           activation=activation, name=name, **self._sublayer_kwargs())

    def build(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self.feature_dim = query_shape[-1]
        # Assigned in Keras's order, which is the order of the weights.
        self._query_dense = self._projection("query", self.num_query_heads, "bqm,muh->bquh",
                                             "uh")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("key", self.num_key_value_heads, "bkm,mvh->bkvh",
                                           "vh")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection("gate", self.num_query_heads, "bqm,muh->bquh",
                                                "uh", activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("value", self.num_key_value_heads,
                                             "bkm,mvh->bkvh", "vh")
        self._value_dense.build(value_shape)
        self._output_dense = EinsumDense("bquh,uhm->bqm", (None, self.feature_dim),
                                         bias_axes="m" if self.use_bias else None,
                                         name="attention_output", **self._sublayer_kwargs())
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        return combined_attention_mask(query, value, query_mask, value_mask, key_mask,
                                       attention_mask, use_causal_mask, self.sliding_window)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if query_mask is None:
            query_mask = get_keras_mask(query)
        if value_mask is None:
            value_mask = get_keras_mask(value)
        if key is not None and key_mask is None:
            key_mask = get_keras_mask(key)
        convert = MultiHeadAttention._convert
        query, value, key = convert(self, query), convert(self, value), convert(self, key)
        if not self.built:
            self.build(ops.shape(query), ops.shape(value),
                       None if key is None else ops.shape(key))
        key = value if key is None else key
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)
        key = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)
        value = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_head_dim, ops.dtype_of(query)))
        scores = ops.einsum("bquh,bkuh->buqk", query, key)
        if mask is not None:
            mask = ops.expand_dims(mask, -3)  # the head axis
        scores = masked_softmax(scores, mask, (-1,))
        dropped = _dropout(scores, self.dropout, self._seed_generator, training)
        output = ops.einsum("buqk,bkuh->bquh", dropped, value)
        if gate is not None:
            output = ops.multiply(output, gate)
        output = self._output_dense(output)
        if return_attention_scores:
            return output, scores
        return output

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(f"GroupQueryAttention {self.name!r}: the last dimension of "
                             f"`query_shape` and `value_shape` must be equal, but are "
                             f"{query_shape[-1]}, {value_shape[-1]}. Received: "
                             f"query_shape={tuple(query_shape)}, "
                             f"value_shape={tuple(value_shape)}")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"GroupQueryAttention {self.name!r}: all dimensions of `value` "
                             f"and `key`, except the last one, must be equal. Received: "
                             f"value_shape={tuple(value_shape)} and "
                             f"key_shape={tuple(key_shape)}")
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape,
                                          None if key is None else key.shape)
        output = KerasTensor(shape, dtype=self.compute_dtype)
        if return_attention_scores:
            length = (value if key is None else key).shape[1]
            return output, KerasTensor((query.shape[0], self.num_query_heads, query.shape[1],
                                        length), dtype=self.compute_dtype)
        return output

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object

        def optional(obj):
            return None if obj is None else serialize_keras_object(obj)
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": optional(self.kernel_regularizer),
            "bias_regularizer": optional(self.bias_regularizer),
            "activity_regularizer": optional(self.activity_regularizer),
            "kernel_constraint": optional(self.kernel_constraint),
            "bias_constraint": optional(self.bias_constraint),
            "seed": self.seed,
        })
        return config


# Keras's class is GroupedQueryAttention (so its weights live under
# ``grouped_query_attention/``), exported and saved as keras.layers.GroupQueryAttention.
GroupedQueryAttention._keras_module = "keras.layers"
GroupedQueryAttention._keras_class_name = "GroupQueryAttention"

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention", "GroupedQueryAttention"]
