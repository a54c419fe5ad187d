"""Gradient averaging across processes: fused into buckets, started during
the backward pass (as Horovod's tensor fusion and PyTorch DDP's buckets).

The trainable variables are laid out, in reverse order (the order their
gradients become final in the backward walk), in buckets of at most
``bucket_bytes``. The tape calls back as each gradient is final; the
gradient, times this process's share of the global batch, is copied into
its bucket, and a full bucket starts its non-blocking sum at once while the
backward walk goes on. The tape reports every variable, so every bucket
has started when the walk ends; then all are waited for, and each
variable's gradient is read back from its bucket: the same sum on every
process.

Weighting by share (``local rows / global rows``) rather than averaging
``1/N`` keeps the result equal to one process's gradient of the global
batch also when the rows do not split evenly (a mean loss of ``n_r`` rows
times ``n_r / B``, summed, is the mean over all ``B`` rows).
"""
from __future__ import annotations

import numpy as np

from brickwork import ops


class _Bucket:
    __slots__ = ("indices", "offsets", "buffer", "pending", "request")

    def __init__(self, indices, offsets, buffer):
        self.indices = indices
        self.offsets = offsets    # {variable index: (start, stop, shape)}
        self.buffer = buffer
        self.pending = len(indices)
        self.request = None


class GradientReducer:
    """Sums weighted gradients over the processes of ``transport`` (an MPI
    ``Communicator`` for NumPy arrays, an ``NcclTransport`` for CuPy ones).

    Args:
        transport: makes flat buffers (``new_buffer(size, dtype)``), copies a
            gradient times a weight into one (``copy_scaled``), starts a sum
            (``iallreduce_sum(buffer)``, returning a request), waits
            (``wait_all(requests)``) and hands a summed slice back as a
            backend array (``to_backend``).
        bucket_bytes: the largest bucket, in bytes (a variable larger than
            that gets a bucket of its own).
    """

    def __init__(self, transport, bucket_bytes):
        self.transport = transport
        self.bucket_bytes = int(bucket_bytes)
        self._layout_key = None
        self._buckets = []
        self._bucket_of = {}
        self.buckets_started_early = 0   # for tests and benchmarks: overlap happened

    def _layout(self, variables):
        key = tuple((id(v), tuple(v.shape), str(v.dtype)) for v in variables)
        if key == self._layout_key:
            for bucket in self._buckets:
                bucket.pending = len(bucket.indices)
                bucket.request = None
            return
        self._layout_key = key
        self._buckets, self._bucket_of = [], {}
        groups = {}
        for index in reversed(range(len(variables))):
            dtype = np.dtype(str(variables[index].dtype))
            groups.setdefault(dtype, []).append(index)
        for dtype, indices in groups.items():
            current, size = [], 0
            for index in indices:
                count = int(np.prod(variables[index].shape, dtype=np.int64))
                if current and (size + count) * dtype.itemsize > self.bucket_bytes:
                    self._add_bucket(current, variables, dtype)
                    current, size = [], 0
                current.append(index)
                size += count
            if current:
                self._add_bucket(current, variables, dtype)

    def _add_bucket(self, indices, variables, dtype):
        offsets, start = {}, 0
        for index in indices:
            shape = tuple(variables[index].shape)
            stop = start + int(np.prod(shape, dtype=np.int64))
            offsets[index] = (start, stop, shape)
            start = stop
        bucket = _Bucket(indices, offsets, self.transport.new_buffer(start, dtype))
        for index in indices:
            self._bucket_of[index] = bucket
        self._buckets.append(bucket)

    def _fill(self, index, grad, weight):
        bucket = self._bucket_of[index]
        start, stop, shape = bucket.offsets[index]
        target = bucket.buffer[start:stop]
        if grad is None:
            target[...] = 0
        else:
            self.transport.copy_scaled(target, grad, weight)
        bucket.pending -= 1
        return bucket

    def gradients(self, tape, loss, variables, weight):
        """The summed ``weight``-scaled gradients of ``loss`` for ``variables``,
        the sums started while ``tape`` walks backward."""
        self._layout(variables)
        reported = []

        def on_ready(index, grad):
            reported.append(index)
            bucket = self._fill(index, grad, weight)
            if bucket.pending == 0:
                bucket.request = self.transport.iallreduce_sum(bucket.buffer)
                if len(reported) < len(variables):
                    started_early.append(bucket)
        started_early = []
        tape.gradient(loss, variables, on_ready=on_ready)
        # The tape reports every variable exactly once, so every bucket has
        # started by now; those started before the last report overlapped
        # with the backward walk.
        self.buckets_started_early = len(started_early)
        return self._summed(len(variables))

    def sum_gradients(self, grads, variables, weight):
        """The summed ``weight``-scaled ``grads``, already computed (by a
        custom ``train_step``), in the same buckets."""
        self._layout(variables)
        for index, grad in enumerate(grads):
            bucket = self._fill(index, grad, weight)
            if bucket.pending == 0:
                bucket.request = self.transport.iallreduce_sum(bucket.buffer)
        return self._summed(len(variables))

    def _summed(self, count):
        """Wait for every bucket's sum; each variable's gradient read back."""
        self.transport.wait_all([b.request for b in self._buckets])
        grads = [None] * count
        for bucket in self._buckets:
            for index in bucket.indices:
                start, stop, shape = bucket.offsets[index]
                grads[index] = self.transport.to_backend(bucket.buffer[start:stop].reshape(shape))
        return grads


class HostTransport:
    """The MPI communicator, on NumPy buffers (the NumPy backend; also CuPy
    arrays when no NCCL is there, through the host)."""

    def __init__(self, communicator):
        self.communicator = communicator

    def new_buffer(self, size, dtype):
        return np.zeros(size, dtype=dtype)

    def copy_scaled(self, target, grad, weight):
        source = ops.convert_to_numpy(grad).reshape(-1)
        np.multiply(source, target.dtype.type(weight), out=target)

    def iallreduce_sum(self, buffer):
        return self.communicator.iallreduce_sum(buffer)

    def wait_all(self, requests):
        self.communicator.wait_all(requests)

    def to_backend(self, array):
        return ops.convert_to_tensor(array.copy())
