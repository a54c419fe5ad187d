"""``BackupAndRestore``: resume a ``fit`` that was interrupted, where it stopped."""
from __future__ import annotations

import json
import os
import shutil

from brickwork.callbacks.callback import Callback
from brickwork.saving.atomic import atomic_write


class BackupAndRestore(Callback):
    """Back up the weights (optimizer state included) and the epoch reached to
    ``backup_dir`` every epoch (or every ``save_freq`` batches); when ``fit``
    starts again with the same ``backup_dir``, restore them and continue
    from the epoch after the last backup. A fit that finishes deletes the
    backup (unless ``delete_checkpoint=False``). Keras writes the weights
    and the metadata as two files; here each is replaced atomically and the
    metadata only after its weights, so a crash between the two resumes
    from the previous epoch's count with newer weights at worst, never from
    a half-written file. ``double_checkpoint`` keeps the previous pair as a
    ``.bkp`` fallback for a backup that cannot be read."""

    _rank_zero_only = True  # writes files / prints (rank 0 under DataParallel)

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                             f"integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_metadata_path = f"{self._metadata_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # -- restoring ----------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        try:
            self._restore()
        except (OSError, ValueError):
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_metadata_path):
                shutil.copyfile(self._prev_metadata_path, self._metadata_path)
            elif os.path.exists(self._metadata_path):
                os.remove(self._metadata_path)
            self._restore()

    def _restore(self):
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model {self.model.name!r} is unbuilt. "
                             "You can build it beforehand by calling it on a batch of data.")
        if os.path.exists(self._weights_path):
            optimizer = self.model.optimizer
            if optimizer is not None and not optimizer.built:
                optimizer.build(self.model.trainable_weights)
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path) as handle:
                metadata = json.load(handle)
            epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
            if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
                raise ValueError(f"Invalid backup metadata in {self._metadata_path}: "
                                 f"{metadata!r}")
            self._current_epoch = epoch
            self.model._initial_epoch = epoch

    # -- backing up ---------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._backup()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._backup()

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _backup(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for current, previous in ((self._weights_path, self._prev_weights_path),
                                      (self._metadata_path, self._prev_metadata_path)):
                if os.path.exists(current):
                    shutil.copyfile(current, previous)
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        with atomic_write(self._metadata_path) as handle:
            handle.write(json.dumps(metadata).encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
        # A later fit starts from its own `initial_epoch` again.
        self.model._initial_epoch = None
