"""Feature-wise normalization learned by ``adapt()``: ``Normalization``."""
from __future__ import annotations

import math

import numpy as np

from brickwork import backend, ops
from brickwork.api_export import keras_export
from brickwork.layers.layer import Layer
from brickwork.layers.preprocessing import adapt_data


@keras_export("keras.layers.Normalization")
class Normalization(Layer):
    """Shift and scale inputs to mean 0 and standard deviation 1 per feature.

    Computes ``(inputs - mean) / sqrt(variance)`` (or, with ``invert=True``,
    ``mean + inputs * sqrt(variance)``). ``mean`` and ``variance`` are either
    given, or learned from data by ``adapt()`` and then stored as the
    non-trainable weights ``mean``, ``variance`` and ``count``.

    Args:
        axis: Integer, tuple of integers, or None: the axes that keep a
            separate mean and variance per index. ``-1`` (the default)
            normalizes each feature of the last axis; ``None`` uses one
            scalar mean and variance for all elements.
        mean: The mean value(s), broadcast to the kept axes. Give ``mean``
            and ``variance`` together, or neither (then call ``adapt``).
        variance: The variance value(s), as ``mean``.
        invert: If True, undo the normalization instead.

    Input shape: any; the kept axes must have a known size.
    Output shape: the input shape.

    Examples:
        >>> layer = brickwork.layers.Normalization(axis=None)
        >>> layer.adapt(np.array([1., 2., 3., 4., 5.], "float32"))
        >>> layer(np.array([1., 2., 3.], "float32"))
        array([-1.4142135 , -0.70710677,  0.        ], dtype=float32)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        self.mean = None
        self.variance = None
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization {self.name!r}: when setting values directly, both "
                             f"`mean` and `variance` must be set. Received: mean={mean} and "
                             f"variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization {self.name!r}: `mean` and `variance` must have "
                                 f"the same shape. Received: mean shape {np.shape(mean)} and "
                                 f"variance shape {np.shape(variance)}")
            if np.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization {self.name!r}: the rank of `mean` must be at "
                                 f"most the number of axes ({len(self.axis)}). Received: mean "
                                 f"shape {np.shape(mean)} for axis {self.axis}")

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization {self.name!r}: every `axis` value must be in "
                             f"[-ndim, ndim). Received inputs with ndim={ndim}, while "
                             f"axis={self.axis}")
        self._keep_axis = tuple(sorted(d % ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"Normalization {self.name!r}: every kept axis must have a "
                                 f"known size. Received axis={self.axis}, inputs.shape="
                                 f"{input_shape}, with an unknown size at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1
                                 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance",
                                                  shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int",
                                         initializer="zeros", trainable=False)
            self.built = True
            self.finalize_state()
        else:
            self.mean, self.variance = (self._broadcast_given(value, ndim) for value in
                                        (self.input_mean, self.input_variance))
            self.built = True

    def _broadcast_given(self, value, ndim):
        value = np.asarray(value)
        if value.ndim:
            expanded = [1] * ndim
            for i in range(1, value.ndim + 1):
                expanded[self._keep_axis[-i]] = value.shape[-i]
            value = value.reshape(expanded)
        try:
            value = np.broadcast_to(value, self._broadcast_shape)
        except ValueError as exc:
            raise ValueError(f"Normalization {self.name!r}: the given mean/variance of shape "
                             f"{np.shape(self.input_mean)} cannot be broadcast to the kept "
                             f"axes' shape {tuple(self._broadcast_shape)}") from exc
        return ops.convert_to_tensor(np.ascontiguousarray(value), dtype=self.compute_dtype)

    def adapt(self, data):
        """Compute the mean and variance of ``data`` along the reduced axes.

        Args:
            data: A NumPy array or backend tensor (adapted on at once), or a
                ``PyDataset``, ``tf.data.Dataset`` or iterable of batches
                (combined batch by batch, as Keras does).
        """
        if adapt_data.is_single_array(data):
            array = adapt_data.to_host(data)
            self._build_or_check(array.shape)
            total_mean = np.mean(array, axis=self._reduce_axis)
            total_var = np.var(array, axis=self._reduce_axis)
        else:
            if hasattr(data, "element_spec") and hasattr(data, "batch"):
                # A tf.data.Dataset of single vectors is batched first, as Keras does.
                spec = data.element_spec
                spec = spec[0] if isinstance(spec, tuple) else spec
                if len(tuple(spec.shape)) == 1:
                    data = data.batch(128)
            total_mean, total_var = self._adapt_batches(adapt_data.batches(data, "Normalization"))
        self.adapt_mean.assign(np.asarray(total_mean, dtype=self.adapt_mean.dtype))
        self.adapt_variance.assign(np.asarray(total_var, dtype=self.adapt_variance.dtype))
        self.finalize_state()

    def _build_or_check(self, input_shape):
        input_shape = tuple(input_shape)
        if not self.built:
            self.build(input_shape)
            return
        if self.input_mean is not None:
            raise ValueError(f"Normalization {self.name!r} was given `mean` and `variance`; "
                             f"it has nothing to adapt")
        for d in self._keep_axis:
            if d >= len(input_shape) or input_shape[d] != self._build_input_shape[d]:
                raise ValueError(f"Normalization {self.name!r} was built with input_shape="
                                 f"{self._build_input_shape}, but adapt() got data of an "
                                 f"incompatible shape {input_shape}")

    def _adapt_batches(self, batches):
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            batch = np.asarray(batch, dtype=self.compute_dtype)
            if total_mean is None:
                self._build_or_check(batch.shape)
                total_mean = np.zeros(self._mean_and_var_shape, "float32")
                total_var = np.zeros(self._mean_and_var_shape, "float32")
            for d in self._keep_axis:
                if d >= batch.ndim or batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"Normalization {self.name!r}: adapt() yielded a batch of "
                                     f"incompatible shape. Expected {self._build_input_shape}, "
                                     f"got {batch.shape}")
            batch_mean = np.mean(batch, axis=self._reduce_axis)
            batch_var = np.var(batch, axis=self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis)
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("Normalization.adapt() received no batches: pass a non-empty "
                             "array or iterable of arrays")
        return total_mean, total_var

    def finalize_state(self):
        if self.input_mean is not None or not self.built:
            return
        self.mean = ops.cast(ops.reshape(self.adapt_mean, self._broadcast_shape),
                             self.compute_dtype)
        self.variance = ops.cast(ops.reshape(self.adapt_variance, self._broadcast_shape),
                                 self.compute_dtype)

    def call(self, inputs):
        if self.mean is None:
            raise ValueError(f"Normalization {self.name!r}: call `.build(input_shape)` or "
                             f"`.adapt(data)` on the layer before using it")
        inputs = ops.cast(inputs, self.compute_dtype)
        if self.input_mean is None:  # read the variables now: they may have been assigned
            self.finalize_state()
        scale = ops.maximum(ops.sqrt(self.variance), backend.epsilon())
        if self.invert:
            return ops.add(self.mean, ops.multiply(inputs, scale))
        return ops.divide(ops.subtract(inputs, self.mean), scale)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert,
                       "mean": np.array(self.input_mean).tolist(),
                       "variance": np.array(self.input_variance).tolist()})
        return config

    def load_own_variables(self, store):
        super().load_own_variables(store)
        self.finalize_state()

    def get_build_config(self):
        if self._build_input_shape:
            return {"input_shape": list(self._build_input_shape)}
        return None

    def build_from_config(self, config):
        if config and not self.built:
            self.build(config["input_shape"])
