"""Dropout masks for recurrent cells, drawn once per sequence as Keras 3 does."""
from __future__ import annotations

from brickwork import ops


class DropoutRNNCell:
    """Mixin for cells with ``dropout``, ``recurrent_dropout`` and ``seed_generator``.

    The RNN layer asks for the masks once per call; every time step reuses
    them, and the layer clears them after the sequence. A cell that sets
    ``dropout_mask_count`` gets that many independent masks (one per gate).
    """

    def _create_dropout_mask(self, step_input, rate):
        shape = ops.shape(step_input)
        dtype = ops.dtype_of(step_input)
        generator = self.seed_generator.backend_generator()

        def draw():
            return ops.dropout(ops.ones(shape, dtype), rate, shape, generator)
        count = getattr(self, "dropout_mask_count", None)
        return draw() if count is None else [draw() for _ in range(count)]

    def get_dropout_mask(self, step_input):
        if getattr(self, "_dropout_mask", None) is None and 0 < self.dropout < 1:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_input):
        if getattr(self, "_recurrent_dropout_mask", None) is None and 0 < self.recurrent_dropout < 1:
            self._recurrent_dropout_mask = self._create_dropout_mask(step_input,
                                                                     self.recurrent_dropout)
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    def sequence_dropout_masks(self, sequences, state, training):
        """``(input_masks, recurrent_masks)`` for a fused sequence kernel:
        each None or stacked ``(count, B, n)``, as ``hookspecs`` describes."""
        if not training:
            return None, None
        step = ops.getitem(ops.stop_gradient(sequences), (slice(None), 0))
        return (_stacked(self.get_dropout_mask(step)),
                _stacked(self.get_recurrent_dropout_mask(ops.stop_gradient(state))))


def _stacked(mask):
    if mask is None:
        return None
    if isinstance(mask, list):
        return ops.stack(mask, axis=0)
    return ops.expand_dims(mask, 0)
