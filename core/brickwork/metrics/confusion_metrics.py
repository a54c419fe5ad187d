"""Confusion-matrix metrics: counts, Precision, Recall, AUC and the
sensitivity/specificity/precision/recall-at-X family, as Keras 3."""
from __future__ import annotations

import numpy as np

from brickwork import ops
from brickwork.metrics import metrics_utils as mu
from brickwork.metrics.metric import Metric, detach, divide_no_nan
from brickwork.backend import epsilon


def _plain(variable):
    return ops.data_of(variable)


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell, per threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                             name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        mu.update_confusion_matrix_variables(
            {self._condition: self.accumulator}, y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight)

    def result(self):
        value = _plain(self.accumulator)
        return value[0] if len(self.thresholds) == 1 else value.copy()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class FalsePositives(_ConfusionMatrixConditionCount):
    _condition = mu.FALSE_POSITIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    _condition = mu.FALSE_NEGATIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    _condition = mu.TRUE_NEGATIVES


class TruePositives(_ConfusionMatrixConditionCount):
    _condition = mu.TRUE_POSITIVES


class _PrecisionRecallBase(Metric):
    _other = None  # the confusion cell next to true positives in the ratio

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else mu.NEG_INF
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=default)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        other_name = "false_positives" if self._other == mu.FALSE_POSITIVES else "false_negatives"
        setattr(self, other_name, self.add_variable((n,), "zeros", name=other_name))
        self._other_variable = getattr(self, other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives, self._other: self._other_variable},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)

    def result(self):
        tp = _plain(self.true_positives)
        value = divide_no_nan(tp, tp + _plain(self._other_variable))
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecallBase):
    """``TP / (TP + FP)``: the fraction of positive predictions that are right.

    :param thresholds: a float or list of floats in [0, 1]; a prediction is
        positive when above it (default 0.5, or top-k membership with ``top_k``).
    :param top_k: only the ``k`` highest predictions of each row count as positive.
    :param class_id: compute the metric for this class (column) only.
    """

    _other = mu.FALSE_POSITIVES


class Recall(_PrecisionRecallBase):
    """``TP / (TP + FN)``: the fraction of positive labels found (see Precision)."""

    _other = mu.FALSE_NEGATIVES


class _SensitivitySpecificityBase(Metric):
    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((n,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives, mu.TRUE_NEGATIVES: self.true_negatives,
             mu.FALSE_POSITIVES: self.false_positives, mu.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id, sample_weight=sample_weight)

    def _rates(self):
        tp, fp = _plain(self.true_positives), _plain(self.false_positives)
        tn, fn = _plain(self.true_negatives), _plain(self.false_negatives)
        return {"sensitivity": divide_no_nan(tp, tp + fn), "recall": divide_no_nan(tp, tp + fn),
                "specificity": divide_no_nan(tn, tn + fp), "precision": divide_no_nan(tp, tp + fp)}

    def _max_under_constraint(self, constrained, dependent):
        xp = ops.backend_xp()
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        best = xp.where(feasible, rates[dependent], xp.zeros((), rates[dependent].dtype))
        return xp.maximum(best.max(), 0).astype(self.dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id}


def _check_unit(name, value):
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{name}` must be in the range [0, 1]. Received: "
                         f"{name}={value}")


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_under_constraint("specificity", "sensitivity")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_under_constraint("sensitivity", "specificity")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(_SensitivitySpecificityBase):
    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_under_constraint("recall", "precision")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(_SensitivitySpecificityBase):
    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._max_under_constraint("precision", "recall")

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}


class AUC(Metric):
    """Area under the ROC or PR curve, by a Riemann sum over thresholds.

    :param num_thresholds: thresholds evenly spaced over [0, 1] (default 200;
        the end ones are nudged by 1e-7 to catch predictions of exactly 0 and 1).
    :param curve: ``"ROC"`` (default), ``"PR"`` or ``"PRGAIN"``.
    :param summation_method: ``"interpolation"`` (default; for PR, Davis &
        Goadrich's interpolation), ``"minoring"`` or ``"majoring"``.
    :param thresholds: explicit inner thresholds instead of ``num_thresholds``.
    :param multi_label: one curve per label column, averaged (``label_weights``
        weight the average) instead of one curve over every entry.
    :param from_logits: apply a sigmoid to the predictions first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
                [0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        self._thresholds = np.array([0.0 - epsilon()] + thresholds + [1.0 + epsilon()])
        self.curve = mu.standardize_curve(curve)
        self.summation_method = mu.standardize_summation_method(summation_method)
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else \
            detach(label_weights, self.dtype)
        self._label_weights_config = None if label_weights is None else \
            [float(w) for w in np.asarray(label_weights).reshape(-1)]
        self._from_logits = from_logits
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                                 f"{len(shape)}. Full shape received for `y_pred`: {shape}")
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = detach(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives, mu.TRUE_NEGATIVES: self.true_negatives,
             mu.FALSE_POSITIVES: self.false_positives, mu.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)

    def _average_labels(self, by_label):
        if self.label_weights is None:
            return by_label.mean()
        return divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def interpolate_pr_auc(self):
        """Davis & Goadrich's interpolated area under the precision-recall curve."""
        xp = ops.backend_xp()
        n = self.num_thresholds
        tp, fp, fn = (_plain(v) for v in (self.true_positives, self.false_positives,
                                          self.false_negatives))
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        prec_slope = divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        both_positive = (p[:n - 1] > 0) & (p[1:] > 0)
        safe_ratio = xp.where(both_positive, divide_no_nan(p[:n - 1], xp.maximum(p[1:], 0)),
                              xp.ones_like(p[1:]))
        increment = divide_no_nan(prec_slope * (dtp + intercept * xp.log(safe_ratio)),
                                  xp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average_labels(increment.sum(axis=0))
        return increment.sum()

    def result(self):
        xp = ops.backend_xp()
        if not self._built:
            return xp.zeros((), dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return xp.asarray(self.interpolate_pr_auc()).astype(self.dtype)
        tp, fp, tn, fn = (_plain(v) for v in (self.true_positives, self.false_positives,
                                              self.true_negatives, self.false_negatives))
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scaling = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
            recall_gain = xp.maximum(xp.where(tp == 0, 0.0, recall_gain), 0.0)
            precision_gain = xp.where(tp == 0, 1.0, precision_gain)
            x, y = recall_gain, precision_gain
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:n - 1], y[1:])
        else:
            heights = xp.maximum(y[:n - 1], y[1:])
        riemann = (x[:n - 1] - x[1:]) * heights
        if self.multi_label:
            return xp.asarray(self._average_labels(riemann.sum(axis=0))).astype(self.dtype)
        return riemann.sum().astype(self.dtype)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self._label_weights_config, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        return config
