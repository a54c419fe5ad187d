"""A callback made of plain functions."""
from __future__ import annotations

from brickwork.callbacks.callback import Callback


class LambdaCallback(Callback):
    """As ``keras.callbacks.LambdaCallback``: each given function replaces the
    hook of that name (``on_epoch_begin(epoch, logs)``, ``on_train_begin(logs)``,
    ``on_train_batch_end(batch, logs)``, ...). Further keyword arguments become
    attributes, as in Keras, so other hooks can be given too (``on_test_end=f``)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, _logs_optional(function, per_step=name != "on_train_begin"
                                                   and name != "on_train_end"))


def _logs_optional(function, per_step):
    """``function`` callable with or without ``logs``, as Keras' CallbackList
    always passes them (positionally) and brickwork's may leave them out."""
    if per_step:
        return lambda index, logs=None: function(index, logs)
    return lambda logs=None: function(logs)
