"""Python generators and iterators yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``."""
from __future__ import annotations

import collections.abc

from brickwork.trainers.data_adapters.base import (BatchChecker, DataAdapter, batch_to_numpy,
                                                   refuse_argument)


class GeneratorDataAdapter(DataAdapter):
    """A generator or iterator is one stream: it is not restarted between
    epochs (with ``steps_per_epoch``, each epoch carries on where the last one
    stopped; without, the first epoch runs it dry). Every batch is checked
    against the first one."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if y is not None:
            refuse_argument("y", "the targets", "generator")
        if sample_weight is not None:
            refuse_argument("sample_weights", "the sample weights", "generator")
        if class_weight is not None:
            raise ValueError("Argument `class_weight` is not supported for Python generator "
                             f"inputs. Received: class_weight={class_weight}")
        self.iterator = iter(x)
        self.checker = BatchChecker("The generator")
        self.iterator_source = x
        self._index = 0
        self._peeked = []
        try:
            self._peeked.append(self._convert(next(self.iterator)))
        except StopIteration:
            raise ValueError("When passing a Python generator to a brickwork model, the "
                             "generator must yield at least one batch. Received an empty "
                             "generator.") from None

    @classmethod
    def can_handle(cls, x, y=None):
        return isinstance(x, collections.abc.Iterator)

    def _convert(self, batch):
        batch = batch_to_numpy(batch)
        self.checker.check(batch, self._index)
        self._index += 1
        return batch

    def first_batch(self):
        return self._peeked[0] if self._peeked else None

    def get_iterator(self):
        while self._peeked:
            yield self._peeked.pop(0)
        for batch in self.iterator:
            yield self._convert(batch)


class IterableDataAdapter(GeneratorDataAdapter):
    """An object whose ``__iter__`` gives a fresh pass each time (not an
    iterator itself, nor a list or an array): each epoch iterates it anew."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        self.iterable = x
        super().__init__(iter(x), y, sample_weight, batch_size, steps_per_epoch, shuffle,
                         class_weight)
        self.checker.source = f"The iterable {type(x).__name__}"
        self._first_pass = True

    @classmethod
    def can_handle(cls, x, y=None):
        return (isinstance(x, collections.abc.Iterable)
                and not isinstance(x, (collections.abc.Iterator, list, tuple, dict, str, bytes))
                and not (hasattr(x, "shape") and hasattr(x, "dtype")))

    def get_iterator(self):
        if self._first_pass:
            self._first_pass = False
            yield from super().get_iterator()
            return
        self._index = 0
        for batch in self.iterable:
            yield self._convert(batch)
