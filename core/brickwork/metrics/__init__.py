"""``brickwork.metrics``: streaming metrics under Keras 3's names and defaults.

State lives in non-trainable ``brickwork.Variable``s; ``update_state``
accumulates a batch, ``result()`` reads the running value (a 0-d backend
array) and ``reset_state()`` starts over. Metrics compute on plain arrays and
never record on a GradientTape.

For ``model.compile(metrics=[...])`` use :func:`get_compile_metric`, which
resolves ``"accuracy"``/``"acc"`` from the shapes of the targets and the
predictions as Keras does (see :func:`resolve_accuracy`) and names each
metric after the string given.
"""
from __future__ import annotations

import inspect

from brickwork import losses as _losses
from brickwork.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy,  # noqa: F401
                                                CategoricalAccuracy, SparseCategoricalAccuracy,
                                                SparseTopKCategoricalAccuracy,
                                                TopKCategoricalAccuracy, accuracy,
                                                binary_accuracy, categorical_accuracy,
                                                sparse_categorical_accuracy,
                                                sparse_top_k_categorical_accuracy,
                                                top_k_categorical_accuracy)
from brickwork.metrics.confusion_metrics import (AUC, FalseNegatives, FalsePositives,  # noqa: F401
                                                 Precision, PrecisionAtRecall, Recall,
                                                 RecallAtPrecision, SensitivityAtSpecificity,
                                                 SpecificityAtSensitivity, TrueNegatives,
                                                 TruePositives)
from brickwork.metrics.correlation_metrics import (ConcordanceCorrelation,  # noqa: F401
                                                   PearsonCorrelation, concordance_correlation,
                                                   pearson_correlation)
from brickwork.metrics.f_score_metrics import F1Score, FBetaScore  # noqa: F401
from brickwork.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge  # noqa: F401
from brickwork.metrics.iou_metrics import (IoU, BinaryIoU, MeanIoU, OneHotIoU,  # noqa: F401
                                           OneHotMeanIoU)
from brickwork.metrics.metric import Metric  # noqa: F401
from brickwork.metrics.probabilistic_metrics import (BinaryCrossentropy,  # noqa: F401
                                                     CategoricalCrossentropy, KLDivergence,
                                                     Poisson, SparseCategoricalCrossentropy)
from brickwork.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum  # noqa: F401
from brickwork.metrics.regression_metrics import (CosineSimilarity, LogCoshError,  # noqa: F401
                                                  MeanAbsoluteError,
                                                  MeanAbsolutePercentageError,
                                                  MeanSquaredError, MeanSquaredLogarithmicError,
                                                  R2Score, RootMeanSquaredError)
from brickwork.losses import (binary_crossentropy, binary_focal_crossentropy,  # noqa: F401
                              categorical_crossentropy, categorical_focal_crossentropy,
                              categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                              mean_absolute_error, mean_absolute_percentage_error,
                              mean_squared_error, mean_squared_logarithmic_error, poisson,
                              sparse_categorical_crossentropy, squared_hinge)
from brickwork.naming import to_snake_case
from brickwork.saving import object_registration as _registration
from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
                                            serialize_keras_object)

_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError,
            MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
            CosineSimilarity, LogCoshError, R2Score, AUC, FalseNegatives, FalsePositives,
            Precision, PrecisionAtRecall, Recall, RecallAtPrecision, SensitivityAtSpecificity,
            SpecificityAtSensitivity, TrueNegatives, TruePositives, Hinge, SquaredHinge,
            CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy,
            SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
            IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, FBetaScore, F1Score,
            PearsonCorrelation, ConcordanceCorrelation)

#: Names ``get`` understands (as Keras: class names, their snake-case forms
#: and a few abbreviations).
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
})
register_builtin("keras.metrics", *_CLASSES)

#: Metric functions (``keras.metrics.<name>``), for MeanMetricWrapper configs.
METRIC_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, pearson_correlation,
    concordance_correlation)}


def _custom_objects(custom_objects=None):
    return {**_registration.GLOBAL_CUSTOM_OBJECTS, **_registration.scoped_custom_objects(),
            **(custom_objects or {})}


def serialize_function(fn):
    """Keras' config for a plain function: ``{"class_name": "function", ...}``."""
    if isinstance(fn, (_losses.Loss, Metric)):
        return serialize_keras_object(fn)
    return _losses.serialize(fn)


def deserialize_function(config, custom_objects=None):
    """The metric or loss function (or object) a ``serialize_function`` config names."""
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        table = {**_losses.ALL_OBJECTS_DICT, **METRIC_FUNCTIONS, **_custom_objects(custom_objects)}
        if name not in table:
            raise ValueError(f"Could not interpret metric function {name!r}")
        return table[name]
    if isinstance(config, str):
        table = {**_losses.ALL_OBJECTS_DICT, **METRIC_FUNCTIONS, **_custom_objects(custom_objects)}
        if config in table:
            return table[config]
    if isinstance(config, dict) and config.get("module") == "keras.losses":
        return _losses.deserialize(config, custom_objects)
    return deserialize(config, custom_objects)


def serialize(metric):
    """The Keras config dict of a metric."""
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """A metric from its config dict (or a class from its name)."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="metric")


def get(identifier):
    """A metric from a name (``"accuracy"``, ``"mse"``, ``"auc"``, ...), a config
    dict, a class, an instance or a function (returned as it is).

    As in Keras, ``"accuracy"`` gives the exact-match ``Accuracy`` metric and
    ``"acc"`` is unknown here: for compile's shape-dependent choice use
    :func:`get_compile_metric` or :func:`resolve_accuracy`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _custom_objects().get(identifier, ALL_OBJECTS_DICT.get(identifier))
        if obj is None:
            raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known "
                             f"metrics: {', '.join(sorted(ALL_OBJECTS_DICT))} (and, in "
                             f"compile, 'accuracy'/'acc' resolved by shape)")
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def resolve_accuracy(y_true, y_pred, name="accuracy"):
    """The accuracy metric Keras' compile picks for ``"accuracy"``/``"acc"``.

    ``y_true`` and ``y_pred`` are arrays or shape tuples:
    ``BinaryAccuracy`` when ``y_pred``'s last axis is 1 (it thresholds at 0.5
    whatever the loss's ``from_logits``); ``SparseCategoricalAccuracy`` when
    ``y_true`` has a lower rank than ``y_pred``, or a last axis of 1 while
    ``y_pred``'s is larger; ``CategoricalAccuracy`` otherwise. The metric is
    named ``name``, so it is reported as ``"accuracy"`` (or ``"acc"``).
    """
    is_binary, is_sparse = _losses.is_binary_or_sparse_categorical(y_true, y_pred)
    if is_binary:
        return BinaryAccuracy(name=name)
    if is_sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def _object_name(obj):
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)


def get_compile_metric(identifier, y_true, y_pred):
    """The Metric ``model.compile(metrics=[identifier])`` tracks, as Keras'
    ``compile_utils.get_metric``: strings name the metric (``"mae"`` is a
    MeanAbsoluteError reported as ``"mae"``), ``"accuracy"``/``"acc"`` go
    through :func:`resolve_accuracy`, functions are wrapped in a
    ``MeanMetricWrapper`` named after them."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        metric = resolve_accuracy(y_true, y_pred, name=str(identifier))
    else:
        metric = get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


__all__ = [cls.__name__ for cls in _CLASSES] + list(METRIC_FUNCTIONS) + [
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge", "serialize", "deserialize", "get", "resolve_accuracy", "get_compile_metric",
    "serialize_function", "deserialize_function", "ALL_OBJECTS_DICT"]
