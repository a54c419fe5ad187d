"""What ``compile`` builds: per-output losses and metrics, matched to outputs."""
from __future__ import annotations

from brickwork import ops, tree
from brickwork.metrics.metric import Metric
from brickwork.metrics.reduction_metrics import Mean


def _per_output(spec, output_names, what):
    """Expand a compile argument to one entry per output (list, dict or single)."""
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"compile: {what} given for unknown output(s) {unknown}; the "
                             f"model's outputs are {output_names}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and count > 1:
        if len(spec) != count:
            raise ValueError(f"compile: {what} is a list of {len(spec)} entries, but the model "
                             f"has {count} outputs {output_names}")
        return list(spec)
    return [spec] * count


def _needs_shapes(spec):
    return isinstance(spec, str) and spec.lower() in ("crossentropy", "ce")


class CompileLoss:
    """Total loss of a (multi-output) model: weighted sum of per-output losses.

    With several outputs, each output's (unweighted) loss is also tracked
    by a ``Mean`` named ``<output>_loss``, made on the first call, as Keras
    does; ``metrics`` lists them.
    """

    def __init__(self, loss, loss_weights, output_names):
        self.output_names = output_names
        self.metrics = []
        # Resolved now so that unknown names fail at compile time; only
        # "crossentropy" waits for the first batch, whose shapes pick the kind.
        self.losses = [self._resolve(item) if not _needs_shapes(item) else item
                       for item in _per_output(loss, output_names, "loss")]
        weights = [1.0] * len(output_names) if loss_weights is None else _per_output(
            loss_weights, output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]

    @staticmethod
    def _resolve(spec, y_true=None, y_pred=None):
        from brickwork import losses
        return None if spec is None else losses.get_compile_loss(spec, y_true, y_pred)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The total loss (None when no output has a loss); updates the
        per-output trackers."""
        trues, preds = tree.flatten(y_true), tree.flatten(y_pred)
        weights = tree.flatten(sample_weight) if sample_weight is not None else [None]
        if len(weights) < len(preds):
            weights = weights[:1] * len(preds)
        total, per_output = None, {}
        for i, (name, loss_fn, weight, y_t, y_p, s_w) in enumerate(zip(
                self.output_names, self.losses, self.weights, trues, preds, weights)):
            if loss_fn is None:
                continue
            if _needs_shapes(loss_fn):
                loss_fn = self.losses[i] = self._resolve(loss_fn, y_t, y_p)
            value = loss_fn(y_t, y_p, sample_weight=s_w)
            per_output[f"{name}_loss"] = value
            scaled = value if weight == 1.0 else ops.multiply(value, weight)
            total = scaled if total is None else ops.add(total, scaled)
        self._track(per_output, int(preds[0].shape[0]))
        return total

    def _track(self, per_output, batch_size):
        if len(self.output_names) < 2:
            return
        if not self.metrics:
            self.metrics = [Mean(name=name) for name in per_output]
        for tracker in self.metrics:
            tracker.update_state(ops.data_of(per_output[tracker.name]), sample_weight=batch_size)


def _check_metric_names(spec):
    """Name a mistyped metric at compile time, not at the first batch."""
    from brickwork import metrics
    for item in spec if isinstance(spec, (list, tuple)) else [spec]:
        if isinstance(item, str) and item.lower() not in ("accuracy", "acc"):
            try:
                metrics.get(item)
            except ValueError as exc:
                raise ValueError(f"compile: {exc}") from None


class CompileMetrics(Metric):
    """Metrics per output, built on the first batch (``"accuracy"`` needs
    shapes). One metric named ``compile_metrics`` to the model, as in Keras:
    its ``result()`` is a dict of every metric it holds."""

    def __init__(self, metrics, weighted_metrics, output_names):
        super().__init__(name="compile_metrics")
        self._specs = (_per_output(metrics, output_names, "metrics") if metrics else
                       [None] * len(output_names),
                       _per_output(weighted_metrics, output_names, "weighted_metrics")
                       if weighted_metrics else [None] * len(output_names))
        self.output_names = output_names
        self.built = False
        self.unweighted, self.weighted = [], []
        for group in self._specs:
            for spec in group:
                _check_metric_names(spec)

    def _resolve(self, spec, y_true, y_pred, output_name):
        from brickwork import metrics
        items = spec if isinstance(spec, (list, tuple)) else ([] if spec is None else [spec])
        resolved = []
        for item in items:
            metric = metrics.get_compile_metric(item, y_true, y_pred)
            prefix = f"{output_name}_"
            if len(self.output_names) > 1 and not metric.name.startswith(prefix):
                metric.name = prefix + metric.name
            resolved.append(metric)
        return resolved

    def build(self, y_true, y_pred):
        trues, preds = tree.flatten(y_true), tree.flatten(y_pred)
        for specs, target in ((self._specs[0], self.unweighted), (self._specs[1], self.weighted)):
            for name, spec, y_t, y_p in zip(self.output_names, specs, trues, preds):
                target.append(self._resolve(spec, y_t, y_p, name))
        self.built = True

    @property
    def metrics(self):
        return [m for group in self.unweighted + self.weighted for m in group]

    @property
    def variables(self):
        return [v for metric in self.metrics for v in metric.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        trues, preds = tree.flatten(y_true), tree.flatten(y_pred)
        for group, y_t, y_p in zip(self.unweighted, trues, preds):
            for metric in group:
                metric.update_state(y_t, y_p)
        weights = tree.flatten(sample_weight) if sample_weight is not None else [None]
        if len(weights) < len(preds):
            weights = weights[:1] * len(preds)
        for group, y_t, y_p, s_w in zip(self.weighted, trues, preds, weights):
            for metric in group:
                metric.update_state(y_t, y_p, sample_weight=s_w)

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()

    def result(self):
        return {metric.name: metric.result() for metric in self.metrics}
