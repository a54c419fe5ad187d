"""Sum, Mean and MeanMetricWrapper: weighted running reductions."""
from __future__ import annotations

from brickwork import losses, ops
from brickwork.metrics.metric import Metric, detach, divide_no_nan


def _shape(x):
    return tuple(x.shape)


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, mask=None):
    """Per-sample (weighted) values and per-sample weights, as Keras reduces
    them: values are reduced over the axes the weights lack, weighted, then
    reduced to one value per sample."""
    values = detach(values, dtype)
    if sample_weight is not None:
        sample_weight = detach(sample_weight, dtype)
        if mask is None and values.ndim == 0 and sample_weight.ndim == 0:
            return values * sample_weight, sample_weight  # a loss and a batch size
        if mask is not None:
            sample_weight = losses.apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = losses.squeeze_or_expand_to_same_rank(values, sample_weight)
        values, sample_weight = ops.data_of(values), ops.data_of(sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = ops.backend_xp().broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(f"`sample_weight` of shape {_shape(sample_weight)} cannot be "
                             f"broadcast to the metric values of shape {_shape(values)}") from None
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _sum(x, axis):
    return x.sum(axis=axis)


def _mean(x, axis):
    return x.mean(axis=axis)


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, _sum, self.dtype)
        self.total.assign_add(values.sum())

    def result(self):
        return ops.data_of(self.total).astype(self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values seen: ``sum(w * v) / sum(w)``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values, sample_weight=None, mask=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, _mean,
                                                            self.dtype, mask=mask)
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            num_samples = sample_weight.sum()
        elif values.ndim >= 1:
            num_samples = values.shape[0]
        else:
            num_samples = 1
        self.count.assign_add(ops.backend_xp().asarray(num_samples, dtype=self.dtype))

    def result(self):
        return divide_no_nan(ops.data_of(self.total), ops.data_of(self.count)).astype(self.dtype)


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` over samples."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in losses._FUNCTIONS or isinstance(fn, losses.Loss):
            self._direction = "down"

    def _values_and_mask(self, y_true, y_pred):
        """The per-sample values, and a mask of the entries that count (or None)."""
        return self._fn(y_true, y_pred, **self._fn_kwargs), None

    def update_state(self, y_true, y_pred, sample_weight=None):
        input_mask = getattr(y_pred, "_keras_mask", None)
        y_true, y_pred = detach(y_true), detach(y_pred)
        values, values_mask = self._values_and_mask(y_true, y_pred)
        values = ops.data_of(values)
        if sample_weight is not None:
            sample_weight = detach(sample_weight, self.dtype)
        sample_weight = losses.apply_mask(sample_weight, input_mask, dtype=self.dtype,
                                          reduction="sum")
        return super().update_state(values, sample_weight=sample_weight, mask=values_mask)

    def get_config(self):
        from brickwork.metrics import serialize_function
        config = {"name": self.name, "dtype": self.dtype, "fn": serialize_function(self._fn)}
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            from brickwork.metrics import deserialize_function
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)
