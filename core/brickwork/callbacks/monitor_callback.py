"""The base of callbacks that watch one logged quantity and decide whether it improved."""
from __future__ import annotations

import operator
import warnings

from brickwork.callbacks.callback import Callback


def _all_metrics(model):
    """The model's metrics, with metric containers opened up."""
    found = []
    for metric in getattr(model, "metrics", None) or []:
        inner = getattr(metric, "metrics", None)
        found.extend(inner if isinstance(inner, (list, tuple)) else [metric])
    return found


class MonitorCallback(Callback):
    """As Keras' ``MonitorCallback``: ``mode`` "min", "max" or "auto" (a loss
    is minimized; a metric follows its own direction, when it declares one);
    an improvement must beat the best value by more than ``min_delta``."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto "
                          "mode.", stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = operator.lt
            for metric in _all_metrics(self.model):
                direction = getattr(metric, "_direction", None)
                if getattr(metric, "name", None) == metric_name and direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but it "
                    "cannot tell whether that metric should be maximized or minimized. Pass "
                    "`mode='max'` to monitor the highest value, or `mode='min'` for the lowest.")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
