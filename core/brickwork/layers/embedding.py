"""Embedding: integer indices to dense vectors, with Keras 3's mask_zero and LoRA;
ReversibleEmbedding, which also projects vectors back to vocabulary logits."""
from __future__ import annotations

from brickwork.api_export import keras_export

import warnings

from brickwork import constraints, initializers, ops, regularizers
from brickwork.layers.layer import Layer
from brickwork.symbolic import KerasTensor
from brickwork.saving.serialization import serialize_keras_object

#: Keras' "uniform" initializer is RandomUniform(-0.05, 0.05).
_INITIALIZER_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}


def _positive_int(layer_name, argument, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Embedding layer {layer_name!r}: `{argument}` must be a positive "
                         f"integer. Received: {argument}={value!r} "
                         f"(of type {type(value).__name__}).")
    return value


@keras_export("keras.layers.Embedding")
class Embedding(Layer):
    """Turns integer indices into dense vectors of a fixed size.

    Row ``i`` of the weight ``embeddings`` ``(input_dim, output_dim)`` is the
    vector of index ``i``; the layer looks one row up for each index of its
    input. Usually the first layer of a text model. Indices must lie in
    ``[0, input_dim)``.

    Args:
        input_dim: positive int, the vocabulary size (the largest index + 1).
        output_dim: positive int, the size of each vector.
        embeddings_initializer: initializer of ``embeddings``. Default
            ``"uniform"`` (uniform in [-0.05, 0.05]).
        embeddings_regularizer: optional regularizer of ``embeddings``.
        embeddings_constraint: optional constraint on ``embeddings``.
        mask_zero: bool, whether index 0 is padding. When True the layer
            gives the mask ``inputs != 0`` to the layers that follow (RNNs,
            attention, pooling skip those steps), so index 0 cannot stand for
            a word and ``input_dim`` should be the vocabulary size + 1.
            Default False.
        weights: optional initial value of ``embeddings`` (an array, or a
            list holding one).
        lora_rank: accepted for Keras compatibility; brickwork has no LoRA
            and ignores it.
        lora_alpha: accepted for Keras compatibility and ignored.
        quantization_config: must be None; quantization is not supported.

    Input shape:
        Integer tensor ``(batch, ...)``, usually ``(batch, sequence_length)``.

    Output shape:
        ``(batch, ..., output_dim)``.

    Examples:
        >>> layer = layers.Embedding(input_dim=1000, output_dim=64, mask_zero=True)
        >>> ids = np.array([[4, 20, 0], [7, 0, 0]])
        >>> layer(ids).shape
        (2, 3, 64)
        >>> layer.compute_mask(ids)
        array([[ True,  True, False],
               [ True, False, False]])
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = _positive_int(self.name, "input_dim", input_dim)
        self.output_dim = _positive_int(self.name, "output_dim", output_dim)
        if quantization_config is not None:
            raise ValueError(f"Embedding layer {self.name!r}: quantization is not available in "
                             f"brickwork; pass quantization_config=None.")
        if isinstance(embeddings_initializer, str):
            embeddings_initializer = _INITIALIZER_ALIASES.get(embeddings_initializer,
                                                              embeddings_initializer)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                           initializer=self.embeddings_initializer,
                                           name="embeddings",
                                           regularizer=self.embeddings_regularizer,
                                           constraint=self.embeddings_constraint,
                                           trainable=True)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, self.lora_alpha)

    @property
    def embeddings(self):
        """The lookup table (with the LoRA update added when enabled)."""
        if not self.built:
            raise AttributeError(f"Embedding layer {self.name!r}: you must build the layer "
                                 f"before accessing `embeddings`.")
        if not self.lora_enabled:
            return self._embeddings
        update = ops.matmul(self.lora_embeddings_a, self.lora_embeddings_b)
        return ops.add(self._embeddings, ops.multiply(update, self.lora_alpha / self.lora_rank))

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze ``embeddings`` and learn a rank-``rank`` update ``A @ B``."""
        if self.embeddings_constraint:
            raise ValueError("Lora is incompatible with embedding constraints. In order to "
                             "enable lora on this layer, remove the `embeddings_constraint` "
                             "argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        self.lora_embeddings_a = self.add_weight(name="lora_embeddings_a",
                                                 shape=(self.input_dim, rank),
                                                 initializer=a_initializer, dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self.lora_embeddings_b = self.add_weight(name="lora_embeddings_b",
                                                 shape=(rank, self.output_dim),
                                                 initializer=b_initializer, dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self._embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs):
        if ops.dtype_of(inputs) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        indices = ops.stop_gradient(inputs)
        if getattr(indices, "size", 1):
            low, high = int(ops.min(indices)), int(ops.max(indices))
            if low < 0 or high >= self.input_dim:
                raise ValueError(
                    f"Embedding layer {self.name!r}: indices must be in [0, input_dim="
                    f"{self.input_dim}), but the input holds values from {low} to {high}.")
        outputs = ops.take(self.embeddings, indices, axis=0)
        return ops.cast(outputs, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    # The saved file holds the merged table (embeddings + LoRA update), as Keras writes it.
    def save_own_variables(self, store):
        if not self.built:
            return
        store["0"] = ops.convert_to_numpy(self.embeddings)

    def load_own_variables(self, store):
        if len(store.keys()) != 1:
            raise ValueError(f"Layer {self.name!r} expected 1 variable (embeddings), but "
                             f"received {len(store.keys())} variables during loading.")
        self._embeddings.assign(store["0"])
        if self.lora_enabled:
            self.lora_embeddings_a.assign(ops.zeros(self.lora_embeddings_a.shape))
            self.lora_embeddings_b.assign(ops.zeros(self.lora_embeddings_b.shape))

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        })
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config


@keras_export("keras.layers.ReversibleEmbedding")
class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that can also map vectors back to logits over the
    vocabulary: ``layer(ids)`` looks rows up, ``layer(x, reverse=True)``
    returns ``x @ embeddings.T`` (tied, the default) or
    ``x @ reverse_embeddings`` (``tie_weights=False``), as used for the
    output projection of language models.

    Args:
        input_dim: vocabulary size.
        output_dim: embedding size.
        tie_weights: reuse ``embeddings`` for the reverse projection; if
            False a separate ``reverse_embeddings (output_dim, input_dim)``
            is learned.
        embeddings_initializer: initializer of ``embeddings``. Default
            ``"uniform"``.
        embeddings_regularizer: optional regularizer of ``embeddings``.
        embeddings_constraint: optional constraint on ``embeddings``.
        mask_zero: bool, whether index 0 is padding (masked), as in
            ``Embedding``. Default False.
        reverse_dtype: dtype of the reverse projection's computation (None:
            the layer's compute dtype).
        logit_soft_cap: if set, reverse logits become
            ``tanh(logits / cap) * cap``.

    Input shape:
        Integer ids ``(batch, ...)``; with ``reverse=True``, vectors
        ``(batch, ..., output_dim)``.

    Output shape:
        ``(batch, ..., output_dim)``; with ``reverse=True``, logits
        ``(batch, ..., input_dim)``.

    Examples:
        >>> layer = brickwork.layers.ReversibleEmbedding(10, 4)
        >>> vectors = layer(np.array([[1, 2]]))
        >>> vectors.shape
        (1, 2, 4)
        >>> layer(vectors, reverse=True).shape
        (1, 2, 10)
    """

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.built:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), name="reverse_embeddings",
                initializer=self.embeddings_initializer, trainable=True)

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if ops.dtype_of(inputs) != self.compute_dtype and self.reverse_dtype is None:
            inputs = ops.cast(inputs, self.compute_dtype)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        # Ids (the forward call) give Embedding's mask; vectors (reverse) give none.
        if not ops.dtype_of(inputs).startswith(("int", "uint")):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs, reverse=False):
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape), reverse),
                           dtype=self.compute_dtype)

    def save_own_variables(self, store):
        if not self.built:
            return
        super().save_own_variables(store)
        if not self.tie_weights:
            store["1"] = ops.convert_to_numpy(self.reverse_embeddings)

    def load_own_variables(self, store):
        expected = 1 if self.tie_weights else 2
        if len(store.keys()) != expected:
            raise ValueError(f"Layer {self.name!r} expected {expected} variable(s) "
                             f"(embeddings{'' if self.tie_weights else ', reverse_embeddings'}), "
                             f"but received {len(store.keys())} variables during loading.")
        self._embeddings.assign(store["0"])
        if not self.tie_weights:
            self.reverse_embeddings.assign(store["1"])

    def get_config(self):
        config = super().get_config()
        config.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                       "logit_soft_cap": self.logit_soft_cap})
        return config
