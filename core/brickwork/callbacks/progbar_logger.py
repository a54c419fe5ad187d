from brickwork.callbacks.callback import Callback
from brickwork.progbar import Progbar, print_msg


class ProgbarLogger(Callback):
    """Prints a progress bar per epoch (fit) or per run (evaluate, predict)."""

    _rank_zero_only = True  # writes files / prints (rank 0 under DataParallel)

    def __init__(self):
        super().__init__()
        self.progbar = None
        self._in_fit = False  # fit's validation run keeps the epoch's bar

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def _start(self):
        verbose = self.params.get("verbose", 1)
        # A stream of unknown length: no total until its first epoch ends.
        self._seen = 0
        self.progbar = Progbar(self.params.get("steps") or getattr(self, "_learned_steps", None),
                               verbose=verbose)

    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("verbose", 1) and self.params.get("epochs", 1) > 1:
            print_msg(f"Epoch {epoch + 1}/{self.params['epochs']}")
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self.progbar.update(batch + 1, logs, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self.progbar_steps(), logs, finalize=True)

    def progbar_steps(self):
        steps = self.params.get("steps") or getattr(self, "_learned_steps", None)
        if not steps and getattr(self, "_seen", 0):
            steps = self._learned_steps = self._seen
            self.progbar.target = steps
        return steps or 1

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._seen = batch + 1
            self.progbar.update(batch + 1, logs, finalize=False)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self.progbar.update(self.progbar_steps(), logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self.progbar.update(batch + 1, finalize=False)

    def on_predict_end(self, logs=None):
        self.progbar.update(self.progbar_steps(), finalize=True)
