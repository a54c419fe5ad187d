"""``PyDataset`` (alias ``Sequence``): batches by index, optionally fetched
by worker threads or processes, in order, through a bounded queue."""
from __future__ import annotations

import collections
import concurrent.futures
import itertools
import multiprocessing
import warnings

import numpy as np

from brickwork.trainers import data as data_utils
from brickwork.trainers.data_adapters.base import (BatchChecker, DataAdapter, batch_to_numpy,
                                                   refuse_argument)


class PyDataset:
    """Base class for a data set read batch by batch, as ``keras.utils.PyDataset``.

    Implement ``__getitem__(index)`` (a whole batch: ``x``, ``(x,)``,
    ``(x, y)`` or ``(x, y, sample_weight)``) and ``__len__`` (the number of
    batches), or a ``num_batches`` property returning None for an endless
    one. ``on_epoch_begin``/``on_epoch_end`` run around each epoch of ``fit``.

    Args:
        workers: how many threads (or processes) fetch batches during
            ``fit``/``evaluate``/``predict``; 1 fetches in the main thread.
        use_multiprocessing: fetch in processes (the data set is copied into
            each; it must be picklable where processes are spawned).
        max_queue_size: how many batches may be fetched ahead.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size")
                   if not hasattr(self, name)]
        if missing:
            self._workers = getattr(self, "_workers", 1)
            self._use_multiprocessing = getattr(self, "_use_multiprocessing", False)
            self._max_queue_size = getattr(self, "_max_queue_size", 10)
            warnings.warn("Your `PyDataset` class should call `super().__init__(**kwargs)` in "
                          "its constructor. `**kwargs` can include `workers`, "
                          "`use_multiprocessing`, `max_queue_size`. Do not pass these arguments "
                          "to `fit()`, as they will be ignored.", stacklevel=3)

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError

    def __iter__(self):
        try:
            num_batches = self.num_batches
        except NotImplementedError:
            num_batches = None
        indices = itertools.count() if num_batches is None else range(num_batches)
        for index in indices:
            yield self[index]

    @property
    def num_batches(self):
        """Batches in the data set, or None for an endless one."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError("You need to implement the `num_batches` property:\n\n"
                                  "@property\ndef num_batches(self):\n  return ...")

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


#: ``keras.utils.Sequence`` is the older name of ``PyDataset``.
Sequence = PyDataset

# Worker processes find their data set here (set by the pool's initializer).
_WORKER_DATASET = None


def _init_worker(dataset):
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _get_in_worker(index):
    return _WORKER_DATASET[index]


def _process_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


class OrderedEnqueuer:
    """Fetches ``dataset[i]`` for the given indices in a pool of threads or
    processes and hands the batches back in index order. At most
    ``max_queue_size`` batches are requested ahead of the one being consumed.
    ``close()`` cancels what is pending and joins the workers."""

    def __init__(self, dataset, workers, use_multiprocessing=False, max_queue_size=10):
        self.dataset = dataset
        self.workers = max(1, int(workers))
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max(1, int(max_queue_size or 1))
        self.executor = None

    def _start(self):
        if self.executor is not None:
            return
        if self.use_multiprocessing:
            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=_process_context(), initializer=_init_worker,
                initargs=(self.dataset,))
            self._fetch = _get_in_worker
        else:
            self.executor = concurrent.futures.ThreadPoolExecutor(
                self.workers, thread_name_prefix="brickwork-pydataset")
            self._fetch = self.dataset.__getitem__

    def _submit(self, index):
        self._start()
        return self.executor.submit(self._fetch, index)

    def iterate(self, indices):
        """Yield ``(index, batch)`` in the order of ``indices``."""
        indices = iter(indices)
        pending = collections.deque()
        try:
            for index in itertools.islice(indices, self.max_queue_size):
                pending.append((index, self._submit(index)))
            while pending:
                index, future = pending.popleft()
                try:
                    batch = future.result()
                except Exception as exc:
                    exc.add_note(f"(raised by the PyDataset's __getitem__({index}) in a worker)")
                    raise
                for next_index in itertools.islice(indices, 1):
                    pending.append((next_index, self._submit(next_index)))
                yield index, batch
        finally:
            for _, future in pending:
                future.cancel()

    def close(self):
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


class PyDatasetAdapter(DataAdapter):
    """A ``PyDataset``: ``shuffle`` shuffles the order of the batches each
    epoch (as Keras), ``class_weight`` adds per-sample weights to ``(x, y)``
    batches; workers fetch ahead (see ``OrderedEnqueuer``)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if y is not None:
            refuse_argument("y", "the targets", "PyDataset")
        if sample_weight is not None:
            refuse_argument("sample_weights", "the sample weights", "PyDataset")
        if getattr(x, "_yields_samples", False) and getattr(x, "batch_size", 0) is None:
            raise ValueError(f"This data set ({x!r}) yields single samples (batch_size=None); "
                             "call its .batch(batch_size) to train, evaluate or predict on it.")
        self.py_dataset = x
        self.class_weight = class_weight
        self.shuffle = bool(shuffle)
        self.checker = BatchChecker(f"The PyDataset {type(x).__name__}")
        self._rng = None  # drawn at the first shuffled pass
        self._endless_position = itertools.count()  # an endless data set resumes
        self.enqueuer = None
        workers = x.workers
        if workers > 1 or (workers > 0 and x.use_multiprocessing):
            self.enqueuer = OrderedEnqueuer(x, workers, x.use_multiprocessing, x.max_queue_size)

    @classmethod
    def can_handle(cls, x, y=None):
        return isinstance(x, PyDataset)

    @property
    def num_batches(self):
        try:
            return self.py_dataset.num_batches
        except NotImplementedError:
            return None

    def _standardize(self, batch, index):
        if isinstance(batch, list):
            batch = tuple(batch)
        if not isinstance(batch, (tuple, dict)) and not (hasattr(batch, "shape")
                                                          and hasattr(batch, "dtype")):
            raise ValueError(f"PyDataset.__getitem__({index}) must return a tuple or a dict "
                             "(or an array); if a tuple, ordered either (input,) or (inputs, "
                             "targets) or (inputs, targets, sample_weights). Received: "
                             f"{str(batch)[:100]} of type {type(batch).__name__}")
        batch = batch_to_numpy(batch)
        self.checker.check(batch, index)
        if self.class_weight is not None and isinstance(batch, tuple):
            if len(batch) == 3:
                raise ValueError("You cannot specify `class_weight` and `sample_weight` at the "
                                 "same time.")
            if len(batch) == 2:
                batch = batch + (data_utils.class_weight_to_sample_weights(batch[1],
                                                                           self.class_weight),)
        return batch

    def _indices(self):
        num_batches = self.num_batches
        if num_batches is None:
            return self._endless_position
        if self.shuffle:
            if self._rng is None:
                from brickwork.random import draw_seed
                self._rng = np.random.default_rng(draw_seed())
            return [int(i) for i in self._rng.permutation(num_batches)]
        return range(num_batches)

    def get_iterator(self):
        indices = self._indices()
        if self.enqueuer is None:
            for index in indices:
                yield self._standardize(self.py_dataset[index], index)
        else:
            if self.enqueuer.use_multiprocessing:
                # Processes hold a copy of the data set: a fresh pool for each
                # pass sees what on_epoch_end changed (as Keras).
                self.enqueuer.close()
            for index, batch in self.enqueuer.iterate(indices):
                yield self._standardize(batch, index)

    def first_batch(self):
        if self.num_batches == 0:
            return None
        return batch_to_numpy(self.py_dataset[0])

    def on_epoch_begin(self):
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.py_dataset.on_epoch_end()

    def close(self):
        if self.enqueuer is not None:
            self.enqueuer.close()
