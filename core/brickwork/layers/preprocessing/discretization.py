"""Bucketize continuous features: ``Discretization``, with quantile
boundaries learned by ``adapt()`` from a mergeable weighted summary (the
same summary Keras keeps, so the boundaries are Keras's)."""
from __future__ import annotations

import numpy as np

from brickwork import ops
from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer
from brickwork.layers.preprocessing import adapt_data, encoding


def _summarize(values, epsilon):
    """Sorted values sampled about every ``len * epsilon``-th, each weighted
    by the count it stands for: a (2, n) array of (values, weights)."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _compress(summary, epsilon):
    """Re-sample a summary at cumulative-weight fractions ``epsilon, 2 epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_fraction = cumulative / cumulative[-1]
    values = np.interp(fractions, cumulative_fraction, summary[0])
    cumulative = np.interp(fractions, cumulative_fraction, cumulative)
    weights = cumulative - np.concatenate(([0], cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")


def _merge(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


@keras_export("keras.layers.Discretization")
class Discretization(Layer):
    """Map continuous values to bucket indices (or their encodings).

    A value ``x`` falls in bucket ``i`` when ``boundaries[i-1] <= x <
    boundaries[i]``; there are ``len(bin_boundaries) + 1`` buckets.

    Args:
        bin_boundaries: A sorted list of boundaries, or None to learn
            ``num_bins - 1`` quantile boundaries with ``adapt()``.
        num_bins: The number of buckets ``adapt()`` learns.
        epsilon: Error tolerance of the learned quantiles (0.01).
        output_mode: ``"int"`` (bucket indices, int32), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"``.
        sparse: Unsupported here (brickwork has no sparse tensors); must be
            False.

    Input shape: any. Output shape: the input shape for ``"int"``; see
    ``CategoryEncoding`` for the encoded modes.

    Examples:
        >>> layer = brickwork.layers.Discretization(bin_boundaries=[0., 1., 2.])
        >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5]]))
        array([[0, 2, 3, 1]], dtype=int32)
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError(f"Discretization {self.name!r}: `sparse=True` needs sparse tensors, "
                             f"which brickwork's backends do not have; use sparse=False")
        encoding.check_output_mode(f"Discretization {self.name!r}", output_mode,
                                   ("int", "one_hot", "multi_hot", "count"))
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization {self.name!r}: `num_bins` must be >= 0. "
                             f"Received: num_bins={num_bins}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Discretization {self.name!r}: set either `num_bins` or "
                             f"`bin_boundaries`, not both. Received: num_bins={num_bins} and "
                             f"bin_boundaries={bin_boundaries}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: set either `num_bins` (then call "
                             f"`adapt`) or `bin_boundaries`")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def adapt(self, data, steps=None):
        """Learn ``num_bins`` quantile buckets from ``data`` (an array, or an
        iterable / ``PyDataset`` / ``tf.data.Dataset`` of batches)."""
        if self.num_bins is None:
            raise ValueError(f"Discretization {self.name!r} was built with `bin_boundaries`; "
                             f"only a layer built with `num_bins` can be adapted")
        self.reset_state()
        if adapt_data.is_single_array(data):
            self.update_state(adapt_data.to_host(data))
        else:
            for batch in adapt_data.batches(data, "Discretization", steps):
                self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        summary = _summarize(np.asarray(data).astype("float32"), self.epsilon)
        self.summary = _merge(summary, self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"Discretization {self.name!r}: pass `bin_boundaries` or call "
                             f"`adapt(data)` before using the layer")
        boundaries = ops.convert_to_tensor(np.asarray(self.bin_boundaries, dtype="float64"))
        indices = ops.digitize(inputs, boundaries)
        return encoding.encode(indices, self.output_mode, len(self.bin_boundaries) + 1,
                               self.output_dtype)

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def compute_output_shape(self, input_shape):
        return encoding.encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs, *args, **kwargs):
        from brickwork.symbolic import KerasTensor
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.variable_dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            from brickwork import dtype_policies
            config["dtype"] = dtype_policies.get(config["dtype"])
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries  # an adapted layer: keep what it learned
            return layer
        return cls(**config)
