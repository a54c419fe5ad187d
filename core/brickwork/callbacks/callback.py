"""The Callback base class and the list that dispatches to callbacks."""
from __future__ import annotations

from brickwork import distribution_state


class Callback:
    """Base class: override the ``on_*`` hooks you need."""

    #: Under data parallelism, runs on rank 0 only (it prints or writes files).
    _rank_zero_only = False

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    # Keras 2 callbacks override on_batch_*; the training hooks call them.
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]
_INDEXED_HOOKS = {name for name in _HOOKS if "epoch" in name or "batch" in name}


class CallbackList:
    """Calls every callback's hook in order; adds History and the progress bar."""

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        from brickwork.callbacks.history import History
        from brickwork.callbacks.progbar_logger import ProgbarLogger
        self.callbacks = list(callbacks or [])
        if not distribution_state.is_chief():
            # Data parallelism: the other processes hold the same logs and
            # weights; only rank 0 prints and writes files.
            self.callbacks = [c for c in self.callbacks if not c._rank_zero_only]
            for callback in self.callbacks:
                if getattr(callback, "verbose", 0):
                    callback.verbose = 0
            add_progbar = False
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if add_history:
            history = History()
            self.callbacks.append(history)
            model.history = history
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(dict(params))

    def _dispatch(self, hook, *args):
        # Keras always passes `logs` (None when there are none), so user hooks
        # may declare it without a default.
        expected = 2 if hook in _INDEXED_HOOKS else 1
        args = args + (None,) * (expected - len(args))
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def __getattr__(self, hook):
        if hook not in _HOOKS:
            raise AttributeError(hook)
        return lambda *args: self._dispatch(hook, *args)
