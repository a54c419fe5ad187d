"""Stream each epoch's logs to a CSV file."""
from __future__ import annotations

import csv
import os

import numpy as np

from brickwork.callbacks.callback import Callback


def _cell(value):
    """A log value as Keras writes it: lists in quotes and brackets."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if hasattr(value, "__iter__"):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """As ``keras.callbacks.CSVLogger``: one row per epoch (``epoch`` then the
    log keys in sorted order, ``val_*`` columns added when the first epoch had
    none, "NA" for a missing value). The file is flushed after every row, so a
    crash loses at most the epoch in progress. With ``append``, rows go after
    an existing file's rows and the header is written only to an empty file."""

    _rank_zero_only = True  # writes files / prints (rank 0 under DataParallel)

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        # newline="": the csv module writes Keras' (Excel's) "\r\n" row ends itself.
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            dialect = type("CSVLoggerDialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
