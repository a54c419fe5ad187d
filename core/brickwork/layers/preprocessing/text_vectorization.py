"""Text to token indices or bag-of-words vectors: ``TextVectorization``."""
from __future__ import annotations

import numpy as np

from brickwork.api_export import keras_export
from brickwork.layers.preprocessing import adapt_data, text_ops
from brickwork.layers.preprocessing import encoding as encodings
from brickwork.layers.preprocessing.host_layer import HostLayer, to_output
from brickwork.layers.preprocessing.index_lookup import StringLookup, _as_list


@keras_export("keras.layers.TextVectorization")
class TextVectorization(HostLayer):
    """Turn strings into sequences of token indices or into token-count vectors.

    Each string is standardized, split into tokens, optionally combined
    into n-grams, and looked up in a vocabulary (learned by ``adapt`` or
    given). Index 0 is padding (the empty token), 1 the OOV token
    ``"[UNK]"``.

    Args:
        max_tokens: The largest vocabulary, padding and OOV included.
        standardize: ``"lower_and_strip_punctuation"`` (default),
            ``"lower"``, ``"strip_punctuation"``, None, or a callable taking
            and returning a NumPy array of strings.
        split: ``"whitespace"`` (default), ``"character"``, None (each input
            string is one token), or a callable taking a 1-D NumPy array of
            strings and returning a list of token lists.
        ngrams: None, an integer ``n`` (all n-grams up to ``n``) or a tuple
            of n-gram widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"``, ``"tf_idf"``
            (or ``"one_hot"`` with ``split=None``).
        output_sequence_length: In ``"int"`` mode, pad or truncate every
            sequence to this length; None pads to the longest in the batch.
        pad_to_max_tokens: Encode with ``max_tokens`` bins.
        vocabulary: A list/array of strings or a path to a text file.
        idf_weights: The IDF weight of each vocabulary token (``"tf_idf"``).
        sparse: Unsupported here (no sparse tensors); must be False.
        ragged: Unsupported here (no ragged tensors); must be False, and
            outputs are padded instead.
        encoding: The text encoding of byte-string inputs ("utf-8").

    Input shape: ``(batch,)`` or ``(batch, 1)`` strings. Output shape:
    ``(batch, output_sequence_length)`` int64 in ``"int"`` mode,
    ``(batch, vocabulary_size)`` otherwise.

    Examples:
        >>> layer = brickwork.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer(["the cat", "a dog sat"])
        array([[2, 5, 0, 0],
               [1, 4, 3, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):
        cls = "TextVectorization"
        if sparse:
            raise ValueError(f"{cls}: `sparse=True` needs sparse tensors, which brickwork's "
                             f"backends do not have; use sparse=False")
        if ragged:
            raise ValueError(f"{cls}: `ragged=True` needs ragged tensors, which brickwork's "
                             f"backends do not have; use ragged=False (outputs are padded)")
        if not (standardize is None or callable(standardize)
                or standardize in text_ops.STANDARDIZE_MODES):
            raise ValueError(f"{cls}: invalid `standardize` {standardize!r}; expected one of "
                             f"{text_ops.STANDARDIZE_MODES}, None or a callable")
        if not (split is None or callable(split) or split in text_ops.SPLIT_MODES):
            raise ValueError(f"{cls}: invalid `split` {split!r}; expected one of "
                             f"{text_ops.SPLIT_MODES}, None or a callable")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        encodings.check_output_mode(cls, output_mode, encodings.OUTPUT_MODES)
        if not (ngrams is None or isinstance(ngrams, int)
                or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"{cls}: `ngrams` must be None, an integer or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)):
            raise ValueError(f"{cls}: `output_sequence_length` must be None or an integer. "
                             f"Received: {output_sequence_length!r}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"{cls}: `output_sequence_length` can only be set with "
                             f"output_mode='int'. Received: {output_sequence_length}")
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=self._has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)

    # -- the vocabulary -------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from ``data``: a list or array of strings
        (each one document), or an iterable / ``PyDataset`` /
        ``tf.data.Dataset`` of batches of strings."""
        self.reset_state()
        if isinstance(data, (list, tuple)) or adapt_data.is_single_array(data):
            array = adapt_data.to_host(np.asarray(data, dtype=object)
                                       if isinstance(data, (list, tuple)) else data)
            if array.ndim == 1:
                array = array[:, None]
            self.update_state(array)
        else:
            for batch in adapt_data.batches(data, "TextVectorization", steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (padding "" and "[UNK]" first by default)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list, array or text-file path) and, for
        ``tf_idf``, the IDF weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- processing -------------------------------------------------------------------

    def _preprocess(self, inputs):
        """Standardized tokens: an object array (``split=None``) or a list of token lists."""
        strings = self._lookup_layer._standardize_tokens(np.asarray(inputs, dtype=object)
                                                         if isinstance(inputs, (list, tuple))
                                                         else np.asarray(inputs))
        if callable(self._standardize):
            strings = text_ops.from_callable_result(self._standardize(strings.astype(str)))
        elif self._standardize is not None:
            strings = text_ops.standardize(strings, self._standardize)
        if self._split is None:
            if self._ngrams is not None:
                rows = strings.reshape(-1, strings.shape[-1]) if strings.ndim else strings[None]
                return [text_ops.ngrams(row, self._ngrams) for row in rows.tolist()]
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    f"TextVectorization {self.name!r}: to split strings into tokens the input "
                    f"must have rank 1 or a last dimension of 1. Received: inputs.shape="
                    f"{strings.shape}")
            strings = strings[..., 0]
        scalar = strings.ndim == 0
        strings = strings.reshape(-1)
        if callable(self._split):
            documents = text_ops.from_callable_result(self._split(strings.astype(str)))
        else:
            documents = text_ops.split(strings, self._split)
        if self._ngrams is not None:
            documents = [text_ops.ngrams(tokens, self._ngrams) for tokens in documents]
        return documents[0] if scalar else documents

    def call(self, inputs):
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        if not isinstance(tokens, list):  # split=None and no n-grams: one token per string
            return lookup.call(tokens) if self._output_mode != "int" else \
                self._pad(lookup._lookup(tokens))
        rows = tokens if (tokens and isinstance(tokens[0], list)) or not tokens else [tokens]
        flat = np.empty(sum(len(r) for r in rows), dtype=object)
        flat[:] = [t for r in rows for t in r]
        indices = lookup._lookup(flat)
        bounds = np.cumsum([0] + [len(r) for r in rows])
        if self._output_mode == "int":
            length = self._output_sequence_length
            if length is None:
                length = max((len(r) for r in rows), default=0)
            out = np.zeros((len(rows), length), dtype="int64")
            for i in range(len(rows)):
                row = indices[bounds[i]:bounds[i + 1]][:length]
                out[i, :row.size] = row
            return to_output(out if rows is tokens else out[0])
        if self._output_mode == "one_hot":
            raise ValueError(f"TextVectorization {self.name!r}: output_mode='one_hot' encodes "
                             f"one token per input; it needs split=None and no n-grams")
        depth = lookup._depth()
        row_of = np.repeat(np.arange(len(rows)), np.diff(bounds))
        keep = (indices >= 0) & (indices < depth)  # the padding token (-1 here) is not counted
        counts = np.bincount(row_of[keep] * depth + indices[keep],
                             minlength=len(rows) * depth).reshape(len(rows), depth)
        if self._output_mode == "multi_hot":
            counts = (counts > 0).astype("int64")
        if self._output_mode == "tf_idf":
            result = counts.astype("float32") * lookup.idf_weights[None, :]
        else:
            result = counts
        return to_output(result if rows is tokens else result[0])

    def _pad(self, indices):
        """``split=None`` int output: truncate or zero-pad the last axis."""
        length = self._output_sequence_length
        if length is None or indices.ndim == 0:
            return to_output(indices)
        indices = indices[..., :length]
        pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
        return to_output(np.pad(indices, pad))

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = tuple(input_shape) + (1,)
        else:
            input_shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        dtype = "int64" if self._output_mode in ("int", "one_hot", "multi_hot", "count") \
            else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- config and saving ---------------------------------------------------------

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object
        config = super().get_config()
        config.update({
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": (serialize_keras_object(self._standardize)
                            if callable(self._standardize) else self._standardize),
            "split": serialize_keras_object(self._split) if callable(self._split)
            else self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": self._lookup_layer.sparse,
            "ragged": self._ragged,
            "vocabulary": _as_list(self._lookup_layer.input_vocabulary),
            "idf_weights": _as_list(self._lookup_layer.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        })
        return config

    @classmethod
    def from_config(cls, config):
        from brickwork.saving.serialization import deserialize_keras_object
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        config.pop("dtype", None)  # strings in, numbers out: the dtype policy plays no part
        return cls(**config)

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

