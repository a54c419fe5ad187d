"""Set the learning rate at the start of each epoch from a schedule function."""
from __future__ import annotations

import numpy as np

from brickwork.callbacks.callback import Callback
from brickwork.callbacks.reduce_lr_on_plateau import _sub_optimizers, log_learning_rates
from brickwork.ops import convert_to_numpy
from brickwork.progbar import print_msg


class LearningRateScheduler(Callback):
    """As ``keras.callbacks.LearningRateScheduler``: before each epoch, the
    learning rate becomes ``schedule(epoch, current_lr)`` (or
    ``schedule(epoch)`` for a one-argument schedule), which must be a float.
    Adds ``learning_rate`` to the epoch's logs."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, float(convert_to_numpy(optimizer.learning_rate)))
        except TypeError:  # a schedule of the epoch alone (the older form)
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch, logs=None):
        for name, optimizer in _sub_optimizers(self.model):
            learning_rate = self._update(optimizer, epoch)
            if self.verbose > 0:
                label = f"{name} learning rate" if name else "learning rate"
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {label} to "
                      f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            log_learning_rates(self.model, logs)
