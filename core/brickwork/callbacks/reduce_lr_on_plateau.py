"""Lower the learning rate when a monitored quantity stops improving."""
from __future__ import annotations

import warnings

import numpy as np

from brickwork.callbacks.monitor_callback import MonitorCallback
from brickwork.ops import convert_to_numpy
from brickwork.progbar import print_msg


def _current_rate(optimizer):
    return float(convert_to_numpy(optimizer.learning_rate))


def _sub_optimizers(model):
    """``[(name suffix, optimizer)]``: one entry, or one per sub-optimizer."""
    optimizer = model.optimizer
    if hasattr(optimizer, "optimizers"):
        return [(opt.name, opt) for opt in optimizer.optimizers]
    return [("", optimizer)]


def log_learning_rates(model, logs):
    """Add ``learning_rate`` (or ``learning_rate_<name>`` per sub-optimizer) to ``logs``."""
    for name, optimizer in _sub_optimizers(model):
        key = f"learning_rate_{name}" if name else "learning_rate"
        logs[key] = _current_rate(optimizer)


class ReduceLROnPlateau(MonitorCallback):
    """As ``keras.callbacks.ReduceLROnPlateau``: after ``patience`` epochs
    without an improvement of ``monitor`` by more than ``min_delta``, multiply
    the learning rate by ``factor`` (never below ``min_lr``), then wait
    ``cooldown`` epochs before counting again. Adds ``learning_rate`` to the
    epoch's logs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _reduce(self, optimizer, epoch, name):
        old_lr = _current_rate(optimizer)
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            label = f" {name}" if name else ""
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{label} learning rate to "
                  f"{new_lr}.")
        return True

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        log_learning_rates(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: "
                          f"{','.join(logs)}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = [self._reduce(opt, epoch, name)
                           for name, opt in _sub_optimizers(self.model)]
                if any(reduced):
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
