"""NCCL between GPUs, through CuPy (``cupy.cuda.nccl``): the transport for
gradient buckets when the model's arrays are CuPy arrays.

One process per GPU. MPI starts it: rank 0 makes NCCL's unique id and
broadcasts it over MPI, then every process joins one NCCL communicator.
The sums run on the current CUDA stream, so a bucket's allreduce is
queued behind the backward kernels that produced it, and the host goes on
walking the tape meanwhile. CuPy is imported only when a transport is made.
"""
from __future__ import annotations

import numpy as np

from brickwork import ops

_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
               "float64": "NCCL_FLOAT64"}


def import_nccl():
    """``(cupy, cupy.cuda.nccl)``, or an ImportError saying what is missing."""
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as error:
        raise ImportError(f"brickwork.distribution: NCCL needs CuPy with NCCL ({error}); "
                          f'install `pip install "brickwork[cupy]" nvidia-nccl-cu12`.') from error
    if not getattr(nccl, "available", True):
        raise ImportError("brickwork.distribution: this CuPy build has no NCCL; install "
                          "`nvidia-nccl-cu12` (or a CuPy wheel with NCCL).")
    return cupy, nccl


def nccl_available():
    """Whether CuPy and NCCL import here (no GPU is touched)."""
    try:
        import_nccl()
    except ImportError:
        return False
    return True


class _Done:
    """NCCL calls are ordered on the stream: nothing to wait for on the host
    until the gradients are read, which the stream also orders."""

    def Wait(self):  # noqa: N802  (the MPI request's name)
        pass


class NcclTransport:
    """Sums CuPy buffers over the processes with ``ncclAllReduce``.

    Args:
        communicator: the MPI ``Communicator`` that starts NCCL (rank 0's
            unique id is broadcast over it).
    """

    def __init__(self, communicator):
        self.cupy, self.nccl = import_nccl()
        self.communicator = communicator
        uid = self.nccl.get_unique_id() if communicator.rank == 0 else None
        uid = communicator.bcast_object(uid)
        self.comm = self.nccl.NcclCommunicator(communicator.size, uid, communicator.rank)

    def new_buffer(self, size, dtype):
        if np.dtype(dtype).name not in _NCCL_TYPES:
            raise TypeError(f"brickwork.distribution: NCCL sums float16/32/64 gradients; "
                            f"got a variable of dtype {np.dtype(dtype).name}.")
        return self.cupy.zeros(size, dtype=dtype)

    def copy_scaled(self, target, grad, weight):
        source = self.cupy.asarray(ops.data_of(grad)).reshape(-1)
        self.cupy.multiply(source, target.dtype.type(weight), out=target)

    def iallreduce_sum(self, buffer):
        kind = getattr(self.nccl, _NCCL_TYPES[buffer.dtype.name])
        stream = self.cupy.cuda.get_current_stream()
        self.comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, kind,
                            self.nccl.NCCL_SUM, stream.ptr)
        return _Done()

    def wait_all(self, requests):
        del requests  # ordered on the stream (see _Done)

    def to_backend(self, array):
        return array.copy()
