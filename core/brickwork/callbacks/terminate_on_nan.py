"""Stop training when the loss becomes NaN or infinite."""
from __future__ import annotations

import math

from brickwork.callbacks.callback import Callback
from brickwork.progbar import print_msg


class TerminateOnNaN(Callback):
    """As ``keras.callbacks.TerminateOnNaN``: after a training batch whose
    ``loss`` is NaN or infinite, stop training (or raise RuntimeError when
    ``raise_error``)."""

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                               f"{loss}. Terminating training immediately.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True

    # Keras' older name for the same hook.
    on_batch_end = on_train_batch_end
