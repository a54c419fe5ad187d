"""SwapEMAWeights: evaluate and predict with the optimizer's moving averages."""
from __future__ import annotations

import numpy as np

from brickwork.callbacks.callback import Callback
from brickwork.ops import convert_to_numpy


class SwapEMAWeights(Callback):
    """Puts the exponential moving averages of the weights (an optimizer with
    ``use_ema=True``) into the model for evaluation and prediction, and the
    trained weights back afterwards, as ``keras.callbacks.SwapEMAWeights``.

    With ``swap_on_epoch=True`` the averages are also swapped in at the end
    of each epoch (so that callbacks such as ModelCheckpoint see them) and
    swapped out at the start of the next; after the last epoch they stay.

    One difference from Keras 3.15: after ``predict`` the trained weights
    are put back (Keras' ``on_predict_end`` tests the wrong flag and leaves
    the averages in the model).

    Args:
        swap_on_epoch: also swap at epoch boundaries.

    Example:

    ```python
    model.compile(optimizer=SGD(use_ema=True), loss="mse")
    model.fit(x, y, validation_data=(vx, vy), callbacks=[SwapEMAWeights()])
    ```
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    @staticmethod
    def _swap(optimizer):
        for variable, average in zip(optimizer._trainable_variables,
                                     optimizer._model_variables_moving_average):
            trained = np.array(convert_to_numpy(variable))  # a copy: assign writes in place
            variable.assign(average.value)
            average.assign(trained)

    @staticmethod
    def _finalize(optimizer):
        for variable, average in zip(optimizer._trainable_variables,
                                     optimizer._model_variables_moving_average):
            average.assign(variable.value)

    def _apply_to_ema_optimizers(self, fn):
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        if hasattr(optimizer, "optimizers"):  # MultiOptimizer
            if not any(getattr(opt, "use_ema", False) for opt in optimizer.optimizers):
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`.")
            for opt in optimizer.optimizers:
                if getattr(opt, "use_ema", False):
                    fn(opt)
            return
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the "
                             f"optimizer. Received: use_ema={getattr(optimizer, 'use_ema', None)}")
        fn(optimizer)

    def _swap_variables(self):
        self._apply_to_ema_optimizers(self._swap)

    def _finalize_ema_values(self):
        self._apply_to_ema_optimizers(self._finalize)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            # The averages stay in the model after the last epoch: make the
            # stored averages equal them (fit's end writes them in again).
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
