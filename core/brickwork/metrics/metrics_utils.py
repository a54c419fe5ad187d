"""Confusion-matrix accumulation shared by Precision, Recall, AUC and friends.

Follows Keras' ``metrics_utils``: a prediction is positive at threshold ``t``
when ``y_pred > t``; evenly spaced thresholds use the bucketed O(n) path.
Everything runs on plain backend arrays.
"""
from __future__ import annotations

import numpy as np

from brickwork import ops
from brickwork.losses import squeeze_or_expand_to_same_rank
from brickwork.metrics.metric import detach
from brickwork.backend import epsilon

NEG_INF = -1e10

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
CONFUSION_MATRIX = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)

AUC_CURVES = ("ROC", "PR", "PRGAIN")
AUC_SUMMATION_METHODS = ("interpolation", "majoring", "minoring")


def to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def assert_thresholds_range(thresholds):
    if thresholds is not None:
        invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def parse_init_thresholds(thresholds, default_threshold=0.5):
    if thresholds is not None:
        assert_thresholds_range(to_list(thresholds))
    return to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds):
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i`` in ``0..n-1`` (n >= 3)."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), even, atol=epsilon()))


def standardize_curve(curve):
    for name in AUC_CURVES:
        if str(curve) in (name, name.lower()):
            return name
    raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                     f'["PR", "ROC", "PRGAIN"]')


def standardize_summation_method(method):
    for name in AUC_SUMMATION_METHODS:
        if str(method) in (name, name.capitalize()):
            return name
    raise ValueError(f'Invalid AUC summation method value: "{method}". Expected values are '
                     f'["interpolation", "majoring", "minoring"]')


def filter_top_k(x, k):
    """Keep the ``k`` largest entries of each row; the rest become ``NEG_INF``."""
    xp = ops.backend_xp()
    flat = x.reshape(-1, x.shape[-1])
    top = xp.argsort(-flat, axis=-1)[:, :k]
    mask = xp.zeros(flat.shape, dtype=x.dtype)
    mask[xp.arange(flat.shape[0])[:, None], top] = 1
    mask = mask.reshape(x.shape)
    return x * mask + NEG_INF * (1 - mask)


def _bucketed_counts(variables, y_true, y_pred, thresholds, multi_label, sample_weight,
                     label_weights, thresholds_with_epsilon):
    """The O(n) path for evenly spaced thresholds: bucket each prediction by
    the highest threshold it exceeds, then count with reversed cumulative sums."""
    xp = ops.backend_xp()
    num_thresholds = len(thresholds)
    dtype = y_pred.dtype
    weights = xp.ones(y_pred.shape, dtype=dtype)
    if sample_weight is not None:
        weights = weights * sample_weight.astype(dtype)
    if label_weights is not None:
        weights = weights * xp.asarray(label_weights, dtype=dtype)
    y_pred = xp.clip(y_pred, 0.0, 1.0)
    y_true = (y_true != 0).astype(dtype)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    num_labels = y_pred.shape[-1] if multi_label else 1
    true_labels = true_labels.reshape(-1, num_labels)
    false_labels = false_labels.reshape(-1, num_labels)
    total_true = true_labels.sum(axis=0)
    total_false = false_labels.sum(axis=0)
    buckets = xp.ceil(y_pred * dtype.type(num_thresholds - 1)) - 1
    if thresholds_with_epsilon:
        buckets = xp.maximum(buckets, 0)
    buckets = buckets.astype("int64").reshape(-1, num_labels)
    counted = buckets >= 0  # a prediction of exactly 0 exceeds no threshold of 0
    true_labels = true_labels * counted
    false_labels = false_labels * counted
    offsets = (xp.maximum(buckets, 0) + xp.arange(num_labels) * num_thresholds).reshape(-1)
    size = num_thresholds * num_labels

    def cumulative(labels):
        per_bucket = xp.bincount(offsets, weights=labels.reshape(-1), minlength=size)
        per_bucket = per_bucket.reshape(num_labels, num_thresholds).T  # (thresholds, labels)
        counts = xp.flip(xp.cumsum(xp.flip(per_bucket, 0), axis=0), 0)
        return counts if multi_label else counts[:, 0]
    if not multi_label:
        total_true, total_false = total_true[0], total_false[0]
    results = {}
    if any(k in variables for k in (TRUE_POSITIVES, FALSE_NEGATIVES)):
        results[TRUE_POSITIVES] = cumulative(true_labels)
        results[FALSE_NEGATIVES] = total_true - results[TRUE_POSITIVES]
    if any(k in variables for k in (FALSE_POSITIVES, TRUE_NEGATIVES)):
        results[FALSE_POSITIVES] = cumulative(false_labels)
        results[TRUE_NEGATIVES] = total_false - results[FALSE_POSITIVES]
    for key, variable in variables.items():
        variable.assign_add(results[key].astype(variable.dtype))


def update_confusion_matrix_variables(variables, y_true, y_pred, thresholds, top_k=None,
                                      class_id=None, sample_weight=None, multi_label=False,
                                      label_weights=None, thresholds_distributed_evenly=False):
    """Add this batch's weighted true/false positive/negative counts, one per
    threshold, to the Variables in ``variables`` (keyed ``"tp"``, ``"fp"``,
    ``"tn"``, ``"fn"``)."""
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multilabel data should be handled outside of "
                         "`update_confusion_matrix_variables` when `multi_label` is True.")
    invalid = [key for key in variables if key not in CONFUSION_MATRIX]
    if not variables or invalid:
        raise ValueError(f"Invalid confusion matrix keys {invalid or list(variables)}; valid "
                         f"keys are {list(CONFUSION_MATRIX)}")
    xp = ops.backend_xp()
    dtype = next(iter(variables.values())).dtype
    y_true = detach(y_true, dtype)
    y_pred = detach(y_pred, dtype)
    thresholds = [float(t) for t in thresholds]
    thresholds_with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    y_pred, y_true = ops.data_of(y_pred), ops.data_of(y_true)
    try:
        np.broadcast_shapes(tuple(y_true.shape), tuple(y_pred.shape))
    except ValueError:
        raise ValueError(f"`y_true` and `y_pred` have incompatible shapes: "
                         f"y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}") from None
    y_true = xp.broadcast_to(y_true, y_pred.shape)
    if sample_weight is not None:
        sample_weight = xp.expand_dims(detach(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
        sample_weight = ops.data_of(sample_weight)
        try:
            sample_weight = xp.broadcast_to(sample_weight, y_pred.shape)
        except ValueError:
            raise ValueError(f"`sample_weight` of shape {tuple(sample_weight.shape)} cannot be "
                             f"broadcast to y_pred.shape={tuple(y_pred.shape)}") from None
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
        if sample_weight is not None:
            sample_weight = sample_weight[..., class_id, None]
    if thresholds_distributed_evenly:
        return _bucketed_counts(variables, y_true, y_pred, thresholds, multi_label,
                                sample_weight, label_weights, thresholds_with_epsilon)

    thresholds = xp.asarray(thresholds, dtype=dtype)
    labels = y_true.astype(bool)
    if multi_label:  # (thresholds, samples, labels)
        preds = y_pred.reshape(1, y_pred.shape[0], -1)
        labels = labels.reshape(1, y_pred.shape[0], -1)
        thresh = thresholds.reshape(-1, 1, 1)
    else:  # (thresholds, every prediction)
        preds = y_pred.reshape(1, -1)
        labels = labels.reshape(1, -1)
        thresh = thresholds.reshape(-1, 1)
    weights = None
    if sample_weight is not None:
        weights = sample_weight.reshape(preds.shape)
    if label_weights is not None and not multi_label:
        lw = xp.broadcast_to(xp.asarray(label_weights, dtype=dtype)[None], y_pred.shape)
        lw = lw.reshape(preds.shape)
        weights = lw if weights is None else weights * lw
    pred_is_pos = preds > thresh
    label_is_pos = labels
    conditions = {
        TRUE_POSITIVES: lambda: label_is_pos & pred_is_pos,
        FALSE_POSITIVES: lambda: ~label_is_pos & pred_is_pos,
        TRUE_NEGATIVES: lambda: ~label_is_pos & ~pred_is_pos,
        FALSE_NEGATIVES: lambda: label_is_pos & ~pred_is_pos,
    }
    for key, variable in variables.items():
        hit = conditions[key]()
        if weights is not None:
            counts = xp.where(hit, weights, xp.zeros((), dtype=dtype)).sum(axis=1)
        else:
            counts = hit.sum(axis=1)
        variable.assign_add(counts.astype(variable.dtype))
