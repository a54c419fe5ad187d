"""Transformer layers with the names and arguments of KerasHub's.

``SinePositionEncoding``, ``TokenAndPositionEmbedding`` and
``TransformerEncoder`` compute through ``brickwork.ops`` and this package's
fused kernels (``brickwork_transformer.ops``); they never touch NumPy
directly, so they run on any backend that implements the kernels.
"""
import math

from brickwork import activations, initializers, ops
from brickwork.hookspecs import OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.layers import Dropout, Layer
from brickwork.saving import register_keras_serializable

from brickwork_transformer import ops as transformer_ops

#: Registered as "brickwork_transformer>Name" when this module is imported, so
#: that layers serialize with that name even before brickwork loads its
#: plugins; the ``brickwork_layers`` hook then keeps the name.
serializable = register_keras_serializable(package="brickwork_transformer")


def _check_positive_int(layer, argument, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: `{argument}` must be a "
                         f"positive integer, got {value!r}")
    return value


def _check_rank(layer, input_shape, rank, what):
    if len(input_shape) != rank:
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r} expects {what} of rank "
                         f"{rank}, got input shape {tuple(input_shape)}")


def _sine_table(xp, length, hidden, start_index, max_wavelength, dtype):
    """``sin`` on even and ``cos`` on odd features of ``position * timescale``,
    with ``timescale = max_wavelength ** (-2 * (i // 2) / hidden)``."""
    position = xp.arange(length, dtype="float64") + start_index
    feature = xp.arange(hidden)
    timescale = (1.0 / max_wavelength) ** ((2 * (feature // 2)) / hidden)
    angle = position[:, None] * timescale[None, :]
    return xp.where(feature % 2 == 0, xp.sin(angle), xp.cos(angle)).astype(dtype)


@serializable
class SinePositionEncoding(Layer):
    """The fixed sinusoidal position encoding of "Attention Is All You Need".

    Called on ``(batch, sequence, hidden)`` inputs, returns the encoding
    broadcast to the input's shape (add it to the inputs yourself, as in
    KerasHub). ``start_index`` offsets the positions.
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_wavelength, bool) or not isinstance(max_wavelength, (int, float)) \
                or max_wavelength <= 0:
            raise ValueError(f"SinePositionEncoding layer {self.name!r}: `max_wavelength` must "
                             f"be a positive number, got {max_wavelength!r}")
        self.max_wavelength = max_wavelength

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(f"SinePositionEncoding layer {self.name!r} expects inputs of rank "
                             f">= 2 (..., sequence, hidden), got input shape {tuple(input_shape)}")
        self.built = True

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        table = _sine_table(ops.backend_xp(), shape[-2], shape[-1], start_index,
                            self.max_wavelength, self.compute_dtype)
        return ops.broadcast_to(table, shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["max_wavelength"] = self.max_wavelength
        return config


@serializable
class TokenAndPositionEmbedding(Layer):
    """Token embedding plus a learned position embedding.

    Maps integer token ids ``(batch, sequence)`` to ``(batch, sequence,
    embedding_dim)``. Weights, in order: ``token_embeddings``
    ``(vocabulary_size, embedding_dim)`` and ``position_embeddings``
    ``(sequence_length, embedding_dim)``; sequences may be shorter than
    ``sequence_length``. With ``mask_zero=True`` the output carries a mask
    that is False where the token id is 0.
    """

    def __init__(self, vocabulary_size, sequence_length, embedding_dim,
                 embeddings_initializer="uniform", mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = _check_positive_int(self, "vocabulary_size", vocabulary_size)
        self.sequence_length = _check_positive_int(self, "sequence_length", sequence_length)
        self.embedding_dim = _check_positive_int(self, "embedding_dim", embedding_dim)
        # Keras's alias "uniform" (RandomUniform) is not known to every brickwork version.
        if embeddings_initializer == "uniform":
            embeddings_initializer = "random_uniform"
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)

    def build(self, input_shape):
        _check_rank(self, input_shape, 2, "token ids (batch, sequence)")
        self._check_length(input_shape[1])
        self.token_embeddings = self.add_weight(
            name="token_embeddings", shape=(self.vocabulary_size, self.embedding_dim),
            initializer=self.embeddings_initializer)
        self.position_embeddings = self.add_weight(
            name="position_embeddings", shape=(self.sequence_length, self.embedding_dim),
            initializer=self.embeddings_initializer)
        self.built = True

    def _check_length(self, length, start_index=0):
        if length is not None and start_index + length > self.sequence_length:
            raise ValueError(f"TokenAndPositionEmbedding layer {self.name!r}: sequences of length "
                             f"{length} (from position {start_index}) exceed sequence_length="
                             f"{self.sequence_length}")

    def call(self, inputs, start_index=0):
        length = ops.shape(inputs)[1]
        self._check_length(length, start_index)
        tokens = ops.take(self.token_embeddings, ops.cast(inputs, "int32"), axis=0)
        positions = ops.getitem(self.position_embeddings, slice(start_index, start_index + length))
        return ops.add(tokens, positions)

    def compute_mask(self, inputs, previous_mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "vocabulary_size": self.vocabulary_size,
            "sequence_length": self.sequence_length,
            "embedding_dim": self.embedding_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        })
        return config


@serializable
class TransformerEncoder(Layer):
    """One Transformer encoder block: multi-head self-attention and a
    feed-forward network, each with a residual connection and layer
    normalization (after the residual, or before the sublayer when
    ``normalize_first=True``).

    Called on ``(batch, sequence, hidden)``; ``hidden`` must be at least
    ``num_heads``, and each head gets ``hidden // num_heads`` features.
    ``padding_mask`` ``(batch, sequence)`` is True for real tokens (a mask
    carried by the inputs is used when none is given); ``attention_mask``
    ``(batch, sequence, sequence)`` is True where a query may attend to a key.

    Weights, in order: ``query_kernel``/``key_kernel``/``value_kernel``
    ``(hidden, heads, head_dim)`` each followed by its bias ``(heads,
    head_dim)``, ``output_kernel`` ``(heads, head_dim, hidden)`` and
    ``output_bias``, the self-attention layer norm's ``gamma``/``beta``, the
    feed-forward layer norm's, then the feed-forward ``intermediate_kernel``
    ``(hidden, intermediate_dim)``, ``intermediate_bias``, ``output_ffn_kernel``
    ``(intermediate_dim, hidden)`` and ``output_ffn_bias``.
    """

    def __init__(self, intermediate_dim, num_heads, dropout=0, activation="relu",
                 layer_norm_epsilon=1e-05, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", normalize_first=False, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_dim = _check_positive_int(self, "intermediate_dim", intermediate_dim)
        self.num_heads = _check_positive_int(self, "num_heads", num_heads)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"TransformerEncoder layer {self.name!r}: `dropout` must be a float "
                             f"in [0, 1), got {dropout!r}")
        if not layer_norm_epsilon > 0:
            raise ValueError(f"TransformerEncoder layer {self.name!r}: `layer_norm_epsilon` must "
                             f"be positive, got {layer_norm_epsilon!r}")
        self.dropout = dropout
        self.activation = activations.get(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.normalize_first = bool(normalize_first)
        self.self_attention_dropout = Dropout(dropout)
        self.feedforward_dropout = Dropout(dropout)
        self.supports_masking = True

    def build(self, input_shape):
        _check_rank(self, input_shape, 3, "inputs (batch, sequence, hidden)")
        hidden = input_shape[-1]
        if hidden is None:
            raise ValueError(f"TransformerEncoder layer {self.name!r}: the hidden (last) dimension "
                             f"must be known, got input shape {tuple(input_shape)}")
        if hidden < self.num_heads:
            raise ValueError(f"TransformerEncoder layer {self.name!r}: the hidden dimension "
                             f"{hidden} must be at least num_heads={self.num_heads}")
        self.head_dim = hidden // self.num_heads
        heads = (self.num_heads, self.head_dim)

        def kernel(name, shape):
            return self.add_weight(name=name, shape=shape, initializer=self.kernel_initializer)

        def bias(name, shape):
            return self.add_weight(name=name, shape=shape, initializer=self.bias_initializer)

        def norm(prefix):
            return (self.add_weight(name=f"{prefix}_gamma", shape=(hidden,), initializer="ones"),
                    self.add_weight(name=f"{prefix}_beta", shape=(hidden,), initializer="zeros"))

        self.query_kernel, self.query_bias = kernel("query_kernel", (hidden, *heads)), bias("query_bias", heads)
        self.key_kernel, self.key_bias = kernel("key_kernel", (hidden, *heads)), bias("key_bias", heads)
        self.value_kernel, self.value_bias = kernel("value_kernel", (hidden, *heads)), bias("value_bias", heads)
        self.output_kernel, self.output_bias = kernel("output_kernel", (*heads, hidden)), bias("output_bias", (hidden,))
        self.self_attention_norm = norm("self_attention_layer_norm")
        self.feedforward_norm = norm("feedforward_layer_norm")
        self.intermediate_kernel = kernel("intermediate_kernel", (hidden, self.intermediate_dim))
        self.intermediate_bias = bias("intermediate_bias", (self.intermediate_dim,))
        self.output_ffn_kernel = kernel("output_ffn_kernel", (self.intermediate_dim, hidden))
        self.output_ffn_bias = bias("output_ffn_bias", (hidden,))
        self.built = True

    # -- the block ---------------------------------------------------------

    def call(self, inputs, padding_mask=None, attention_mask=None, mask=None, training=None):
        shape = ops.shape(inputs)
        if len(shape) != 3:
            raise ValueError(f"TransformerEncoder layer {self.name!r} expects inputs of rank 3 "
                             f"(batch, sequence, hidden), got shape {shape}")
        attend = self._attention_mask(padding_mask if padding_mask is not None else mask,
                                      attention_mask)
        x = inputs
        residual = x
        if self.normalize_first:
            x = self._norm(x, self.self_attention_norm)
        x = self._self_attention(x, attend)
        x = self.self_attention_dropout(x, training=training)
        x = ops.add(x, residual)
        if not self.normalize_first:
            x = self._norm(x, self.self_attention_norm)
        residual = x
        if self.normalize_first:
            x = self._norm(x, self.feedforward_norm)
        x = self._feedforward(x)
        x = self.feedforward_dropout(x, training=training)
        x = ops.add(x, residual)
        if not self.normalize_first:
            x = self._norm(x, self.feedforward_norm)
        return x

    def _norm(self, x, gamma_beta):
        gamma, beta = gamma_beta
        return transformer_ops.layer_norm(x, gamma, beta, self.layer_norm_epsilon)

    def _attention_mask(self, padding_mask, attention_mask):
        """A bool mask broadcastable to ``(batch, heads, query, key)``, or None."""
        masks = []
        if padding_mask is not None:
            masks.append(ops.not_equal(ops.reshape(padding_mask, (ops.shape(padding_mask)[0], 1, 1, -1)), 0))
        if attention_mask is not None:
            masks.append(ops.not_equal(ops.expand_dims(attention_mask, 1), 0))
        if not masks:
            return None
        return masks[0] if len(masks) == 1 else ops.logical_and(*masks)

    def _project_heads(self, x, kernel, bias):
        """``(batch, seq, hidden)`` -> ``(batch, heads, seq, head_dim)`` in one fused dense."""
        batch, length, hidden = ops.shape(x)
        width = self.num_heads * self.head_dim
        y = ops.dense(x, ops.reshape(kernel, (hidden, width)), ops.reshape(bias, (width,)))
        return ops.transpose(ops.reshape(y, (batch, length, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def _self_attention(self, x, attend):
        batch, length, hidden = ops.shape(x)
        query = self._project_heads(x, self.query_kernel, self.query_bias)
        key = self._project_heads(x, self.key_kernel, self.key_bias)
        value = self._project_heads(x, self.value_kernel, self.value_bias)
        heads = transformer_ops.attention(query, key, value, attend, 1.0 / math.sqrt(self.head_dim))
        merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, -1))
        width = self.num_heads * self.head_dim
        return ops.dense(merged, ops.reshape(self.output_kernel, (width, hidden)), self.output_bias)

    def _feedforward(self, x):
        fused = getattr(self.activation, "kernel_name", None)
        if fused in OUTPUT_DIFFERENTIABLE_ACTIVATIONS:
            x = ops.dense(x, self.intermediate_kernel, self.intermediate_bias, fused)
        else:
            x = self.activation(ops.dense(x, self.intermediate_kernel, self.intermediate_bias))
        return ops.dense(x, self.output_ffn_kernel, self.output_ffn_bias)

    # -- Keras API -----------------------------------------------------------

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "intermediate_dim": self.intermediate_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "activation": activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "normalize_first": self.normalize_first,
        })
        return config
