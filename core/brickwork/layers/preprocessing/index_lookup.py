"""Vocabulary lookups: ``IndexLookup`` (the shared machinery),
``StringLookup`` and ``IntegerLookup``.

The vocabulary ``adapt()`` learns is Keras's: every token seen, most
frequent first, ties broken by the token in descending order (bytes order
for strings), cut to ``max_tokens``; mask and OOV tokens are reserved in
front. Lookups run on NumPy (each distinct input value is looked up once);
the vocabulary is saved as Keras saves it, in ``vocabulary.txt`` among the
archive's assets, and the IDF weights of ``tf_idf`` as the variable
``idf_weights``.
"""
from __future__ import annotations

import collections
import math
import os

import numpy as np

from brickwork.api_export import keras_export
from brickwork.layers.preprocessing import adapt_data, encoding
from brickwork.layers.preprocessing.host_layer import HostLayer, as_strings, to_output
from brickwork.layers.preprocessing.string_hashing import hash_to_buckets

_INT64_MAX = np.iinfo("int64").max


def _as_list(value):
    """A config value as a plain list (arrays and tensors become lists)."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        value = as_strings(value) if value.dtype.kind in "SO" else value
        return value.tolist()
    return value


class IndexLookup(HostLayer):
    """Maps tokens to indices (or back, with ``invert``); the base of
    ``StringLookup``, ``IntegerLookup`` and ``TextVectorization``'s lookup.

    Indices: ``0`` is the mask (when ``mask_token`` is set and the output
    mode is ``"int"``), then ``num_oov_indices`` OOV indices, then the
    vocabulary in order.
    """

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, **kwargs):
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{cls}: if set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls}: pad_to_max_tokens=True needs `max_tokens`. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"{cls}: `num_oov_indices` must be >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"{cls}: invalid `oov_method` {oov_method!r}; expected 'floormod' "
                             f"or 'farmhash'")
        self.vocabulary_dtype = "string" if vocabulary_dtype in ("string", str) \
            else np.dtype(vocabulary_dtype).name
        if salt is not None:
            if self.vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(f"{cls}: `salt` can only be used with oov_method='farmhash'. "
                                 f"Received: oov_method={oov_method!r}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(f"{cls}: `salt` must be an integer or a pair of integers. "
                                 f"Received: salt={salt}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        encoding.check_output_mode(cls, output_mode, encoding.OUTPUT_MODES)
        if invert and output_mode != "int":
            raise ValueError(f"{cls}: `output_mode` must be 'int' when `invert` is True. "
                             f"Received: output_mode={output_mode!r}")
        if sparse:
            raise ValueError(f"{cls}: `sparse=True` needs sparse tensors, which brickwork's "
                             f"backends do not have; use sparse=False")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"{cls}: `idf_weights` can only be set with output_mode='tf_idf'. "
                             f"Received: output_mode={output_mode!r}")
        self._frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        self._has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"{cls}: unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.oov_method = oov_method
        self.salt = salt
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self.idf_weights = None
        self._tokens = []  # the vocabulary, without mask and OOV tokens
        self._index = {}  # token -> index
        if output_mode == "tf_idf":
            if self._has_input_vocabulary and idf_weights is None:
                raise ValueError(f"{cls}: with a `vocabulary` in output_mode='tf_idf', "
                                 f"`idf_weights` must be given too")
            if idf_weights is not None:
                self.idf_weights = np.asarray(idf_weights, dtype="float32")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()

    # -- the vocabulary -------------------------------------------------------------

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _standardize_tokens(self, values):
        """Tokens as the vocabulary holds them: ``str`` or Python ``int``."""
        values = np.asarray(values)
        if self.vocabulary_dtype == "string":
            return as_strings(values)
        if values.dtype.kind not in "iub" and values.size:
            if values.dtype.kind == "f" and np.all(np.floor(values) == values):
                return values.astype("int64")
            raise ValueError(f"{type(self).__name__} {self.name!r}: expected integer tokens "
                             f"(vocabulary_dtype={self.vocabulary_dtype!r}), got values of "
                             f"dtype {values.dtype}")
        return values.astype("int64")

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, in index order.

        Args:
            include_special_tokens: If True (default), the mask and OOV
                tokens come first, so that a token's position is its index.
        """
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, for ``tf_idf``, the IDF weights) directly.

        Args:
            vocabulary: A list, tuple, 1-D array or tensor of tokens, or the
                path of a text file with one token per line (refused in
                safe mode, as Keras does).
            idf_weights: The IDF weight of each token; required for
                ``output_mode="tf_idf"``, refused otherwise.
        """
        cls = f"{type(self).__name__} {self.name!r}"
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{cls}: `idf_weights` must be set when output_mode='tf_idf'")
        elif idf_weights is not None:
            raise ValueError(f"{cls}: `idf_weights` can only be set with output_mode='tf_idf'. "
                             f"Received: output_mode={self.output_mode!r}")
        if isinstance(vocabulary, (str, os.PathLike)):
            self._set_vocabulary_file(os.fspath(vocabulary))
            return
        vocabulary = self._standardize_tokens(adapt_data.to_host(vocabulary)
                                              if not isinstance(vocabulary, (list, tuple))
                                              else np.array(vocabulary))
        if vocabulary.ndim != 1:
            raise ValueError(f"{cls}: the vocabulary must be 1-D; got shape {vocabulary.shape}")
        if vocabulary.size == 0:
            raise ValueError(f"{cls}: cannot set an empty vocabulary")
        vocabulary = vocabulary.tolist()
        token_start = self._token_start_index()
        special = ([self.mask_token] * self._oov_start_index()
                   + [self.oov_token] * self.num_oov_indices)
        found_special = vocabulary[:token_start] == special
        tokens = vocabulary[token_start:] if found_special else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{cls}: the vocabulary repeats terms; make it unique. Repeated "
                             f"terms: {repeated}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{cls}: found the mask token {self.mask_token!r} at index "
                f"{len(vocabulary) - 1 - vocabulary[::-1].index(self.mask_token)} of the "
                f"vocabulary. The vocabulary need not include the mask and OOV tokens; either "
                f"leave them out, or put them only at its start, in this order: {special}")
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                f"{cls}: found the OOV token {self.oov_token!r} inside the vocabulary. Either "
                f"leave out the mask and OOV tokens, or put them only at its start, in this "
                f"order: {special}")
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(f"{cls}: the vocabulary ({token_start + len(tokens)} entries with "
                             f"the special tokens) is larger than max_tokens={self.max_tokens}")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = np.asarray(adapt_data.to_host(idf_weights), dtype="float64")
            if len(vocabulary) != len(idf_weights):
                raise ValueError(f"{cls}: `idf_weights` must have the vocabulary's length "
                                 f"({len(vocabulary)}); got {len(idf_weights)}")
            if idf_weights.ndim != 1:
                raise ValueError(f"{cls}: `idf_weights` must be 1-D; got shape "
                                 f"{idf_weights.shape}")
            front = 0 if found_special else token_start
            front_value = 0 if found_special else np.average(idf_weights)
            back = (self.max_tokens - front - len(idf_weights)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            self.idf_weights = np.pad(idf_weights, (front, back), "constant",
                                      constant_values=(front_value, 0)).astype("float32")

    def _set_vocabulary_file(self, path):
        from brickwork.saving import safe_mode
        cls = f"{type(self).__name__} {self.name!r}"
        if safe_mode.in_safe_mode():
            raise ValueError(
                f"{cls}: loading the vocabulary file {path!r} from outside the model archive is "
                f"disallowed in safe mode (it could read any file). If you trust the source, "
                f"pass safe_mode=False to the loading function or call "
                f"keras.config.enable_unsafe_deserialization()")
        if not os.path.exists(path):
            raise ValueError(f"{cls}: vocabulary file {path} does not exist")
        if self.output_mode == "tf_idf":
            raise ValueError(f"{cls}: output_mode='tf_idf' cannot load a vocabulary from a file")
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        if self.vocabulary_dtype != "string":
            lines = [int(line) for line in lines]
        self._set_tokens(lines)

    def _set_tokens(self, tokens):
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._index = {token: start + i for i, token in enumerate(self._tokens)}
        self._record_vocabulary_size()

    def _record_vocabulary_size(self):
        size = self.vocabulary_size()
        if (self.output_mode != "int" and not self.pad_to_max_tokens
                and self._frozen_vocab_size is not None and size != self._frozen_vocab_size):
            raise RuntimeError(
                f"{type(self).__name__} {self.name!r}: with output_mode={self.output_mode!r} "
                f"and pad_to_max_tokens=False the vocabulary size cannot change once set. Old "
                f"size {self._frozen_vocab_size}, new size {size}")
        self._frozen_vocab_size = size

    # -- adapt ----------------------------------------------------------------------

    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def adapt(self, data, steps=None):
        """Learn the vocabulary (and, for ``tf_idf``, document frequencies).

        Args:
            data: A list, tuple or array of tokens (a 1-D one is a column:
                one token per document), or an iterable / ``PyDataset`` /
                ``tf.data.Dataset`` of batches.
            steps: How many batches to read from an iterable.
        """
        self.reset_state()
        if isinstance(data, (list, tuple)) or adapt_data.is_single_array(data):
            data = np.asarray(adapt_data.to_host(data) if not isinstance(data, (list, tuple))
                              else data)
            if data.ndim == 1:
                data = data[:, None]
            self.update_state(data)
        else:
            for batch in adapt_data.batches(data, type(self).__name__, steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Count the tokens of one batch of documents (rows)."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer {self.name!r} after setting a static "
                             f"vocabulary via the `vocabulary` argument or `set_vocabulary()`")
        documents = self._documents(data)
        for document in documents:
            self._token_counts.update(document)
        if self.output_mode == "tf_idf":
            for document in documents:
                self._document_counts.update(set(document))
            self._num_documents += len(documents)

    def _documents(self, data):
        """A batch as a list of documents, each a list of tokens (ragged rows allowed)."""
        if isinstance(data, list) and data and isinstance(data[0], list):
            return [self._standardize_tokens(np.asarray(row, dtype=object)
                                             if self.vocabulary_dtype == "string"
                                             else np.asarray(row)).tolist() for row in data]
        data = np.asarray(data)
        if data.ndim == 0:
            data = data[None]
        if data.ndim == 1:
            data = data[None]
        tokens = self._standardize_tokens(data)
        return [row.reshape(-1).tolist() for row in tokens]

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        # Most frequent first; among equal counts the larger token first (Keras's order).
        tokens = sorted(counts, key=lambda token: (counts[token], _sort_key(token)),
                        reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._tokens = []  # a new vocabulary: its size may differ from the old one's
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + self._num_documents / (1 + self._document_counts[t]))
                            for t in tokens], dtype="float64").astype("float32")
            idf = np.pad(idf, (self._token_start_index(), 0),
                         constant_values=np.mean(idf, dtype="float32") if idf.size else 0)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self.idf_weights = idf.astype("float32")
        self._set_tokens(tokens)
        self.reset_state()

    # -- lookup -----------------------------------------------------------------------

    def _lookup(self, values):
        """int64 indices of ``values`` (a NumPy array of tokens)."""
        cls = f"{type(self).__name__} {self.name!r}"
        tokens = self._standardize_tokens(values)
        flat = tokens.reshape(-1)
        if flat.size == 0:
            return np.zeros(tokens.shape, "int64")
        unique, inverse = np.unique(flat, return_inverse=True)
        default = (self._oov_start_index() if self.num_oov_indices == 1 else -1)
        found = np.fromiter((self._index.get(token, default) for token in unique.tolist()),
                            dtype="int64", count=unique.size)
        if self.mask_token is not None:
            mask_index = 0 if self.output_mode == "int" else -1
            found = np.where(unique == self.mask_token, mask_index, found)
            masked = unique == self.mask_token
        else:
            masked = np.zeros(unique.shape, bool)
        missing = (found == -1) & ~masked if self.num_oov_indices != 1 else None
        if self.num_oov_indices == 0 and missing.any():
            raise ValueError(f"{cls}: with num_oov_indices=0 every input must be in the "
                             f"vocabulary; found out-of-vocabulary values "
                             f"{unique[missing][:10].tolist()}. Consider num_oov_indices=1")
        if self.num_oov_indices > 1 and missing.any():
            oov = unique[missing]
            if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
                buckets = np.mod(oov.astype("int64"), self.num_oov_indices)
            else:
                buckets = hash_to_buckets(oov, self.num_oov_indices, self.salt)
            found[missing] = buckets + self._oov_start_index()
        return found[inverse].reshape(tokens.shape)

    def _invert(self, values):
        indices = np.asarray(values)
        if indices.dtype.kind not in "iu":
            raise ValueError(f"{type(self).__name__} {self.name!r} (invert=True) takes integer "
                             f"indices; got dtype {indices.dtype}")
        start = self._token_start_index()
        table = {start + i: token for i, token in enumerate(self._tokens)}
        if self.mask_token is not None:
            table[0] = self.mask_token
        flat = [table.get(int(i), self.oov_token) for i in indices.reshape(-1)]
        out = np.empty(len(flat), dtype=object if self.vocabulary_dtype == "string" else "int64")
        out[:] = flat
        return out.reshape(indices.shape)

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens \
                and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} {self.name!r}: with output_mode={self.output_mode!r} "
                f"and pad_to_max_tokens=False, set the vocabulary before calling the layer "
                f"(pass `vocabulary`, or call `adapt`)")
        values = np.asarray(inputs)
        if self.invert:
            return to_output(self._invert(values))
        return self._encode(self._lookup(values))

    def _encode(self, indices):
        """Encode int64 ``indices`` (NumPy) per ``output_mode``."""
        if self.output_mode == "int":
            return to_output(indices)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = encoding.encode(to_output(indices), mode, self._depth(), "int64")
        if self.output_mode == "tf_idf":
            from brickwork import ops
            encoded = ops.multiply(ops.cast(encoded, "float32"), to_output(self.idf_weights))
        return encoded

    def compute_output_shape(self, input_shape):
        return encoding.encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        if self.output_mode == "int":
            dtype = self.vocabulary_dtype if self.invert else "int64"
        else:
            dtype = "float32" if self.output_mode == "tf_idf" else "int64"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- config and saving ---------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _as_list(self.input_idf_weights),
            "vocabulary": _as_list(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method, "salt": self.salt})
        return config

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights, dtype="float32")

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"], dtype="float32")

    def save_assets(self, dir_path):
        """Write ``vocabulary.txt`` (special tokens included) into ``dir_path``."""
        if self.input_vocabulary is not None:
            return  # the config holds it
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Read back what ``save_assets`` wrote."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self.vocabulary_dtype == "string" else [int(line) for line in lines]
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(values)


def _sort_key(token):
    """Strings compare as their UTF-8 bytes (TensorFlow's order); integers as numbers."""
    return token.encode("utf-8") if isinstance(token, str) else token


@keras_export("keras.layers.StringLookup")
class StringLookup(IndexLookup):
    """Map strings to integer indices from a vocabulary (or back, with ``invert``).

    Args:
        max_tokens: The largest vocabulary ``adapt`` may learn, mask and OOV
            indices included; None for no limit.
        num_oov_indices: How many indices out-of-vocabulary tokens share
            (hashed among them when more than one); 0 makes them an error.
        mask_token: A token that maps to index 0 (in ``"int"`` mode); None
            for no mask.
        oov_token: The token ``invert`` returns for OOV indices.
        vocabulary: A list/array of strings or a path to a text file with
            one token per line; or None to ``adapt``.
        idf_weights: The IDF weight of each token, for ``"tf_idf"``.
        invert: Map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        pad_to_max_tokens: Encode with ``max_tokens`` bins even if the
            vocabulary is smaller.
        sparse: Unsupported here (no sparse tensors); must be False.
        encoding: The text encoding of byte-string inputs ("utf-8").
        salt: Key of the hash that spreads OOV tokens (SipHash); None uses
            FarmHash Fingerprint64, as Keras.

    Input shape: any, of strings (a NumPy array of ``str``/``object`` or a
    list). Output shape: the input shape for ``"int"``, otherwise the
    encoded shape.

    Examples:
        >>> layer = brickwork.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer([["a", "c", "d"], ["d", "z", "b"]])
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _standardize_tokens(self, values):
        values = np.asarray(values)
        if values.dtype.kind == "S" or (values.dtype.kind == "O" and values.size
                                         and isinstance(values.reshape(-1)[0], bytes)):
            values = np.vectorize(lambda v: v.decode(self.encoding) if isinstance(v, bytes)
                                  else v, otypes=[object])(values)
        if values.dtype.kind not in "OUS" and values.size:
            raise ValueError(f"StringLookup {self.name!r} takes strings; got values of dtype "
                             f"{values.dtype}")
        return as_strings(values)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


@keras_export("keras.layers.IntegerLookup")
class IntegerLookup(IndexLookup):
    """Map integers to contiguous indices from a vocabulary (or back, with ``invert``).

    Args:
        max_tokens: The largest vocabulary ``adapt`` may learn, mask and OOV
            indices included; None for no limit.
        num_oov_indices: How many indices out-of-vocabulary values share
            (``value mod num_oov_indices`` when more than one, or hashed with
            ``oov_method="farmhash"``); 0 makes them an error.
        mask_token: A value that maps to index 0 (in ``"int"`` mode).
        oov_token: The value ``invert`` returns for OOV indices (-1).
        vocabulary: A list/array of integers or a path to a text file.
        vocabulary_dtype: Only ``"int64"``.
        idf_weights: The IDF weight of each value, for ``"tf_idf"``.
        invert: Map indices back to values.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        sparse: Unsupported here (no sparse tensors); must be False.
        pad_to_max_tokens: Encode with ``max_tokens`` bins.
        oov_method: ``"floormod"`` or ``"farmhash"``.
        salt: Key of the OOV hash with ``oov_method="farmhash"``.

    Input shape: any, of integers. Output shape: as ``StringLookup``.

    Examples:
        >>> layer = brickwork.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]]))
        array([[1, 3, 4],
               [4, 0, 2]])
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, oov_method="floormod",
                 salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported. "
                             f"Received: vocabulary_dtype={vocabulary_dtype!r}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method,
                         salt=salt, name=name, **kwargs)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None and not isinstance(config["vocabulary"], str):
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
