"""Hash values into a fixed number of bins: ``Hashing`` and ``HashedCrossing``,
with TensorFlow's hash functions (so every value lands in Keras's bin)."""
from __future__ import annotations

import numpy as np

from brickwork.api_export import keras_export
from brickwork.layers.preprocessing import encoding
from brickwork.layers.preprocessing.host_layer import HostLayer, as_strings, to_output
from brickwork.layers.preprocessing.string_hashing import (_MASK, _shift_mix, _to_bytes,
                                                           fingerprint64, hash_to_buckets)


@keras_export("keras.layers.Hashing")
class Hashing(HostLayer):
    """Hash strings or integers into ``num_bins`` bins.

    A value's bin is ``Fingerprint64(str(value)) % num_bins`` (FarmHash, as
    TensorFlow's ``to_hash_bucket_fast``), or with a ``salt``,
    ``SipHash-2-4(str(value)) % num_bins`` keyed by the salt (as
    ``to_hash_bucket_strong``). Integers are hashed as their decimal string;
    floats are truncated to integers first.

    Args:
        num_bins: The number of bins, including the mask bin if
            ``mask_value`` is set.
        mask_value: A value that maps to bin 0; the others then fill bins
            ``1 .. num_bins - 1``.
        salt: An integer or a pair of integers: use the keyed hash.
        output_mode: ``"int"`` (bin indices), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"``.
        sparse: Unsupported here (no sparse tensors); must be False.

    Input shape: any; strings or integers. Output shape: the input shape
    for ``"int"``; see ``CategoryEncoding`` for the encoded modes.

    Examples:
        >>> brickwork.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]])
        array([[1],
               [0],
               [1],
               [1],
               [2]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"Hashing {self.name!r}: `num_bins` must be a positive integer. "
                             f"Received: num_bins={num_bins}")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(f"Hashing {self.name!r}: with output_mode='int', `dtype` must be "
                             f"'int32' or 'int64'. Received: dtype={kwargs['dtype']}")
        encoding.check_output_mode(f"Hashing {self.name!r}", output_mode,
                                   ("int", "one_hot", "multi_hot", "count"))
        if sparse:
            raise ValueError(f"Hashing {self.name!r}: `sparse=True` needs sparse tensors, which "
                             f"brickwork's backends do not have; use sparse=False")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(f"Hashing {self.name!r}: `salt` must be an integer or a pair "
                                 f"of integers. Received: salt={salt}")

    def _hash(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        buckets = hash_to_buckets(as_strings(values), bins, self.salt)
        if mask is not None:
            buckets = np.where(mask, 0, buckets + 1)
        return buckets

    def call(self, inputs):
        values = np.asarray(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        buckets = to_output(self._hash(values))
        return encoding.encode(buckets, self.output_mode, self.num_bins, self.variable_dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.variable_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt,
                       "mask_value": self.mask_value, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


#: ``tf.sparse.cross_hashed``'s default key, the seed of every crossed hash.
_CROSS_HASH_KEY = 0xDECAFCAFFE
_CAT_MUL = 0xC6A4A7935BD1E995


def _fingerprint_cat64(first, second):
    """TensorFlow's ``FingerprintCat64``: combine two 64-bit fingerprints."""
    result = first ^ _CAT_MUL
    result ^= (_shift_mix((second * _CAT_MUL) & _MASK) * _CAT_MUL) & _MASK
    result = (result * _CAT_MUL) & _MASK
    result = (_shift_mix(result) * _CAT_MUL) & _MASK
    return _shift_mix(result)


def _cross_feature(value):
    """A feature's 64-bit input to the cross: a string's Fingerprint64, an integer itself."""
    if isinstance(value, (str, bytes)):
        return fingerprint64(_to_bytes(value))
    return int(value) & _MASK


@keras_export("keras.layers.HashedCrossing")
class HashedCrossing(HostLayer):
    """Cross two or more categorical features and hash the combination.

    Each row's values (one per feature) are combined as TensorFlow's
    ``tf.sparse.cross_hashed`` does (strings by their Fingerprint64,
    integers as they are, chained with ``FingerprintCat64``) and taken
    modulo ``num_bins``.

    Args:
        num_bins: The number of hash bins.
        output_mode: ``"int"`` (bin indices) or ``"one_hot"``.
        sparse: Unsupported here (no sparse tensors); must be False.

    Call arguments:
        inputs: A list or tuple of at least two tensors of strings or
            integers, each of shape ``()``, ``(batch,)`` or ``(batch, 1)``.

    Output shape: the inputs' shape for ``"int"``; ``(batch, num_bins)``
    for ``"one_hot"``.

    Examples:
        >>> layer = brickwork.layers.HashedCrossing(num_bins=5)
        >>> layer((np.array(["A", "B"]), np.array([1, 2])))
        array([0, 1])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(f"HashedCrossing {self.name!r}: `sparse=True` needs sparse tensors, "
                             f"which brickwork's backends do not have; use sparse=False")
        encoding.check_output_mode(f"HashedCrossing {self.name!r}", output_mode,
                                   ("int", "one_hot"))
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)):  # each feature is one array
            return type(inputs)(HostLayer._convert_inputs(self, x) for x in inputs)
        return HostLayer._convert_inputs(self, inputs)

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"HashedCrossing {self.name!r} must be called on a list or tuple "
                             f"of inputs. Received: {type(inputs).__name__}")
        if len(inputs) < 2:
            raise ValueError(f"HashedCrossing {self.name!r} must be called on at least two "
                             f"inputs. Received {len(inputs)}")
        shapes = [tuple(np.shape(x)) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"HashedCrossing {self.name!r}: every input must have shape (), "
                             f"(batch,) or (batch, 1). Received shapes {shapes}")
        if any(shape != first for shape in shapes[1:]):
            raise ValueError(f"HashedCrossing {self.name!r}: every input must have the same "
                             f"shape. Received shapes {shapes}")
        for x in inputs:
            if np.asarray(x).dtype.kind not in "iuOUS":
                raise ValueError(f"HashedCrossing {self.name!r}: inputs must be integers or "
                                 f"strings. Received dtype {np.asarray(x).dtype}")

    def call(self, inputs):
        self._check_inputs(inputs)
        shape = tuple(np.shape(inputs[0]))
        columns = [as_strings(np.asarray(x)).reshape(-1) for x in inputs]
        crossed = []
        for row in zip(*columns):
            value = _CROSS_HASH_KEY
            for feature in row:
                value = _fingerprint_cat64(value, _cross_feature(feature))
            crossed.append(value % self.num_bins)
        buckets = to_output(np.asarray(crossed, dtype="int64").reshape(shape))
        return encoding.encode(buckets, self.output_mode, self.num_bins, self.variable_dtype)

    def compute_output_shape(self, input_shape):
        if (len(input_shape) < 2 or not all(isinstance(s, tuple) for s in input_shape)):
            raise ValueError(f"HashedCrossing {self.name!r} expects a list or tuple of at least "
                             f"two input shapes. Received: {input_shape}")
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if not first:
            return (self.num_bins,)
        if first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        shape = self.compute_output_shape(tuple(tuple(x.shape) for x in inputs))
        return KerasTensor(shape, dtype=self.variable_dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.variable_dtype}
