"""The transport between processes: MPI through mpi4py.

Everything brickwork sends between processes goes through ``Communicator``:
object broadcasts and gathers (small: model signatures, seeds, flags),
in-place sums of NumPy buffers (metric states), non-blocking sums
(gradient buckets) and ``abort``. mpi4py is imported only when a
communicator is made, so ``import brickwork`` never starts MPI.
"""
from __future__ import annotations

INSTALL_HINT = ('data-parallel training runs on MPI through mpi4py: install it with '
                '`pip install "brickwork[mpi]"` (mpi4py and the MPICH wheel, which brings '
                '`mpiexec`), then start the script with `mpiexec -n N python script.py`.')


def import_mpi():
    """mpi4py's ``MPI`` module (this initializes MPI), or an ImportError
    naming what to install."""
    try:
        from mpi4py import MPI
    except ImportError as error:  # mpi4py missing, or its MPI library
        raise ImportError(f"brickwork.distribution: cannot import mpi4py ({error}); "
                          f"{INSTALL_HINT}") from error
    return MPI


class Communicator:
    """The processes of one job (``MPI.COMM_WORLD`` by default)."""

    def __init__(self, comm=None):
        MPI = import_mpi()
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()

    # -- Python objects (pickled; small things only) --------------------------------

    def bcast_object(self, value, root=0):
        return self.comm.bcast(value, root=root)

    def allgather_object(self, value):
        return self.comm.allgather(value)

    def any(self, flag):
        """True on every process when ``flag`` is true on any of them."""
        return bool(self.comm.allreduce(bool(flag), op=self._MPI.LOR))

    # -- NumPy buffers ---------------------------------------------------------------

    def bcast_array(self, array, root=0):
        """Broadcast a contiguous NumPy array in place; returns it."""
        self.comm.Bcast(array, root=root)
        return array

    def allreduce_sum(self, array):
        """Sum a contiguous NumPy array over the processes, in place."""
        self.comm.Allreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)
        return array

    def iallreduce_sum(self, array):
        """Start summing ``array`` in place; returns a request with ``Wait()``."""
        return self.comm.Iallreduce(self._MPI.IN_PLACE, array, op=self._MPI.SUM)

    def wait_all(self, requests):
        if requests:
            self._MPI.Request.Waitall(list(requests))

    def local_rank(self):
        """This process's index among the processes on its host (for choosing a GPU)."""
        local = self.comm.Split_type(self._MPI.COMM_TYPE_SHARED, key=self.rank)
        try:
            return local.Get_rank()
        finally:
            local.Free()

    def abort(self, code=1):
        """End every process of the job now (mpiexec kills the others)."""
        self.comm.Abort(code)
