"""What SimpleRNN, LSTM and GRU share as layers (their cells differ)."""
from __future__ import annotations

from brickwork.layers.rnn.base_cell import CellProperties
from brickwork.layers.rnn.rnn import RNN


class BuiltinRecurrentLayer(CellProperties, RNN):
    """A recurrent layer built around one built-in cell: it takes no
    ``constants``, and its config is its constructor's arguments."""

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, mask=mask, training=training, initial_state=initial_state)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _layer_and_cell_config(self):
        """RNN's config without ``cell``, plus the cell's arguments (Keras layout)."""
        from brickwork import regularizers
        config = RNN.get_config(self)
        del config["cell"]
        config.update(self.cell._common_config())
        config["activity_regularizer"] = (None if self.activity_regularizer is None
                                          else regularizers.serialize(self.activity_regularizer))
        return config


def check_use_cudnn(layer_name, use_cudnn):
    """Keras' ``use_cudnn`` argument: accepted and validated (brickwork picks
    its kernels through the backend, not through this flag)."""
    if use_cudnn not in ("auto", True, False):
        raise ValueError(f"Layer {layer_name!r}: invalid value received for argument "
                         f"`use_cudnn`. Expected one of {{'auto', True, False}}. "
                         f"Received: use_cudnn={use_cudnn!r}")
    return use_cudnn
