"""Keras 3's ``keras.distribution`` API, for data parallelism across processes.

Each process computes on one device (the CPU, or one GPU): the devices
``list_devices`` names are the processes of the job that ``mpiexec``
started, ``"cpu:0"`` to ``"cpu:N-1"`` (``"gpu:..."`` on the CuPy
backend). ``DataParallel`` replicates the model on each and splits every
global batch between them.
"""
from __future__ import annotations

import contextlib
import os
import sys
import traceback

import numpy as np

from brickwork import distribution_state
from brickwork.distribution.communicator import Communicator

#: Environment variables holding the job's size that launchers set (MPICH's
#: hydra and Intel MPI, Open MPI, Slurm). A plain `python script.py` has none
#: of them, and never starts MPI.
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS")

_state = {"communicator": None, "excepthook": None}


def _launched_size():
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return 1


class _OneProcess:
    """The communicator of a job of one process (no MPI needed)."""

    rank, size = 0, 1

    def bcast_object(self, value, root=0):
        return value

    def allgather_object(self, value):
        return [value]

    def any(self, flag):
        return bool(flag)

    def bcast_array(self, array, root=0):
        return array

    def allreduce_sum(self, array):
        return array

    def local_rank(self):
        return 0

    def abort(self, code=1):
        os._exit(code)


def communicator():
    """The job's communicator: MPI's (through mpi4py) when a launcher started
    several processes, else a job of this process alone, with no MPI at all
    (``BRICKWORK_USE_MPI=1`` forces MPI, for a launcher brickwork does not know)."""
    if _state["communicator"] is None:
        if _launched_size() > 1 or os.environ.get("BRICKWORK_USE_MPI") == "1":
            _state["communicator"] = Communicator()
        else:
            _state["communicator"] = _OneProcess()
    return _state["communicator"]


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the job's processes (MPI's ``COMM_WORLD``, as ``mpiexec`` started them).

    MPI knows the processes and their addresses, so the arguments are only
    checked: a ``num_processes`` or ``process_id`` that differs from what
    ``mpiexec`` started is an error. Calling it is optional (the first
    ``list_devices`` or ``DataParallel`` joins too); it also makes an
    uncaught exception in any process end every process, with a message
    naming the rank, instead of leaving the others waiting.

    Args:
        job_addresses: accepted for Keras's signature (MPI's launcher places
            the processes; pass hosts to ``mpiexec -hosts``).
        num_processes: the expected number of processes, or None.
        process_id: the expected rank of this process, or None.

    Example:

    ```python
    # mpiexec -n 2 python train.py
    brickwork.distribution.initialize()
    brickwork.distribution.set_distribution(brickwork.distribution.DataParallel())
    ```
    """
    del job_addresses  # placement is mpiexec's
    comm = communicator()
    if num_processes is not None and int(num_processes) != comm.size:
        raise ValueError(f"initialize(num_processes={num_processes}) but mpiexec started "
                         f"{comm.size} process(es); start the script with "
                         f"`mpiexec -n {num_processes} python ...`.")
    if process_id is not None and int(process_id) != comm.rank:
        raise ValueError(f"initialize(process_id={process_id}) but MPI gave this process "
                         f"rank {comm.rank}; let MPI number the processes (pass None).")
    if comm.size > 1 and _state["excepthook"] is None:
        _state["excepthook"] = sys.excepthook
        sys.excepthook = _abort_all_on_uncaught


def _abort_all_on_uncaught(kind, value, tb):
    _state["excepthook"](kind, value, tb)
    _report_and_abort(communicator(), "the script", value)


def _report_and_abort(comm, where, error):
    sys.stdout.flush()
    print(f"brickwork.distribution: rank {comm.rank} of {comm.size} failed in {where} with "
          f"{type(error).__name__}: {str(error).rstrip('.')}. Ending all {comm.size} "
          f"processes.", file=sys.stderr, flush=True)
    comm.abort(1)
    os._exit(1)  # MPI_Abort may return before the launcher ends this process


def _device_type():
    from brickwork import backend
    return "gpu" if backend.get_backend().name == "cupy" else "cpu"


def list_devices(device_type=None):
    """The devices of the job: one per process, ``"cpu:<rank>"`` (``"gpu:<rank>"``
    on the CuPy backend), in rank order.

    Args:
        device_type: ``"cpu"`` or ``"gpu"``; None: the type the selected
            backend computes on. Another type than that gives ``[]``.
    """
    kind = _device_type()
    if device_type is not None and device_type.lower() != kind:
        if device_type.lower() not in ("cpu", "gpu", "tpu"):
            raise ValueError(f"list_devices(device_type={device_type!r}): expected 'cpu', "
                             f"'gpu' or None.")
        return []
    return [f"{kind}:{rank}" for rank in range(communicator().size)]


def get_device_count(device_type=None):
    """How many devices ``list_devices(device_type)`` names."""
    return len(list_devices(device_type))


class DeviceMesh:
    """Devices arranged in a grid with named axes (data parallelism uses one
    axis, the batch axis, with one device per process).

    Args:
        shape: the grid's shape; its product is the number of devices.
        axis_names: one name per axis of ``shape``.
        devices: the device names (``list_devices()`` by default).

    Example:

    ```python
    mesh = brickwork.distribution.DeviceMesh((2,), ["batch"], ["cpu:0", "cpu:1"])
    ```
    """

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(int(s) for s in shape), list(axis_names)
        if not shape:
            raise ValueError("DeviceMesh: `shape` must have at least one axis.")
        if len(shape) != len(axis_names):
            raise ValueError(f"DeviceMesh: shape {shape} has {len(shape)} axes but axis_names "
                             f"{axis_names} has {len(axis_names)}; give one name per axis.")
        devices = list_devices() if devices is None else list(np.ravel(np.asarray(devices)))
        if int(np.prod(shape)) != len(devices):
            raise ValueError(f"DeviceMesh: shape {shape} holds {int(np.prod(shape))} devices "
                             f"but {len(devices)} were given ({devices}).")
        self._shape, self._axis_names = shape, axis_names
        self._devices = np.asarray(devices, dtype=object).reshape(shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    @property
    def backend_mesh(self):
        return self

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"


class TensorLayout:
    """How a tensor is laid over a ``DeviceMesh``: for each of its axes, the
    mesh axis it is split along, or None (replicated along it).

    Args:
        axes: one entry per tensor axis: a mesh axis name or None.
        device_mesh: the mesh (set later by the distribution when None).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = None
        if device_mesh is not None:
            self.device_mesh = device_mesh

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, mesh):
        unknown = [a for a in self._axes if a is not None and a not in mesh.axis_names]
        if unknown:
            raise ValueError(f"TensorLayout: axes {unknown} are not axes of the mesh "
                             f"{mesh.axis_names}.")
        self._device_mesh = mesh

    @property
    def backend_layout(self):
        return self

    def __repr__(self):
        return f"<TensorLayout axes={self._axes}, device_mesh={self._device_mesh}>"


class DataParallel:
    """Data parallelism: every process holds the whole model; each computes
    its part of every global batch, and gradients are averaged between
    processes before each update.

    ``fit``'s ``batch_size`` is the global batch, split between processes.
    Each ``fit`` starts from rank 0's weights (and optimizer state); the
    gradients are summed in buckets of ``bucket_size_mb`` megabytes, each
    started as soon as the backward pass has made its gradients (MPI's
    non-blocking allreduce, or NCCL between GPUs); losses and metrics are
    reduced over the processes, so every process logs the same numbers;
    ``predict`` returns every row, in order, on every process. Only rank 0
    prints progress and writes checkpoints, CSV logs and backups.
    BatchNormalization's statistics stay per process. An exception in one
    process ends them all.

    Args:
        device_mesh: a one-axis ``DeviceMesh`` of the job's devices (one
            per process), or None.
        devices: the device names, when no mesh is given (default:
            ``list_devices()``).
        auto_shard_dataset: split every global batch between the processes
            (True); False: each process's input already is its own share.
        bucket_size_mb: the largest gradient bucket, in megabytes (PyTorch
            DDP's default, 25).

    Example:

    ```python
    # mpiexec -n 2 python train.py
    import brickwork as keras
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model.fit(x, y, batch_size=64)   # 32 rows per process
    ```
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True,
                 bucket_size_mb=25):
        comm = communicator()
        if device_mesh is None:
            devices = list_devices() if devices is None else list(devices)
            device_mesh = DeviceMesh((len(devices),), ["batch"], devices)
        elif len(device_mesh.shape) != 1:
            raise ValueError(f"DataParallel takes a one-axis DeviceMesh (the batch axis); got "
                             f"shape {device_mesh.shape}. Model parallelism is not supported.")
        if device_mesh.devices.size != comm.size:
            raise ValueError(f"DataParallel: the mesh has {device_mesh.devices.size} devices "
                             f"but the job has {comm.size} process(es); each process computes "
                             f"on one device, so start `mpiexec -n {device_mesh.devices.size}`.")
        if bucket_size_mb <= 0:
            raise ValueError(f"DataParallel: bucket_size_mb must be positive, got "
                             f"{bucket_size_mb}.")
        self._device_mesh = device_mesh
        self._batch_dim_name = device_mesh.axis_names[0]
        self.auto_shard_dataset = bool(auto_shard_dataset)
        self.bucket_size_mb = bucket_size_mb
        self.communicator = comm
        self._reducer = None
        self._use_local_gpu()

    def _use_local_gpu(self):
        if self.num_processes > 1 and _device_type() == "gpu":
            import cupy
            count = cupy.cuda.runtime.getDeviceCount()
            cupy.cuda.Device(self.communicator.local_rank() % count).use()

    # -- Keras's attributes ---------------------------------------------------------

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        return self.communicator.size

    @property
    def process_id(self):
        return self.communicator.rank

    @property
    def num_model_replicas(self):
        return self.num_processes

    @property
    def data_shard_id(self):
        return self.process_id

    def get_data_layout(self, data_shape):
        """Inputs are split along their first axis, the batch."""
        return TensorLayout([self._batch_dim_name] + [None] * (len(data_shape) - 1),
                            self._device_mesh)

    def get_variable_layout(self, variable):
        """Weights are replicated on every device."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path):
        return None

    def distribute_dataset(self, dataset):
        """``dataset`` as this process's share (what ``fit`` does with its input
        when ``auto_shard_dataset``): a data adapter yielding this process's
        rows of every batch."""
        from brickwork.distribution.sharding import ShardedDataAdapter
        from brickwork.trainers.data_adapters import get_data_adapter
        return ShardedDataAdapter(get_data_adapter(dataset), self.communicator)

    @contextlib.contextmanager
    def scope(self):
        """Make this the distribution inside the ``with`` block."""
        previous = distribution_state.get_distribution()
        distribution_state.set_distribution(self)
        try:
            yield
        finally:
            distribution_state.set_distribution(previous)

    def __repr__(self):
        return (f"<DataParallel processes={self.num_processes}, rank={self.process_id}, "
                f"auto_shard_dataset={self.auto_shard_dataset}>")

    # -- what fit, evaluate and predict call (brickwork.trainers) --------------------

    def distribute_adapter(self, adapter, predict=False):
        from brickwork.distribution.sharding import ShardedDataAdapter
        if not self.auto_shard_dataset or isinstance(adapter, ShardedDataAdapter):
            return adapter
        return ShardedDataAdapter(adapter, self.communicator, keep_small_batches=predict)

    def begin_fit(self, model, initial_epoch):
        from brickwork.distribution import training
        return training.begin_fit(self, model, initial_epoch)

    def reduce_gradients(self, tape, loss, variables):
        from brickwork.distribution import training
        return training.reduce_gradients(self, tape, loss, variables)

    def sum_computed_gradients(self, grads, variables):
        from brickwork.distribution import training
        return training.sum_computed_gradients(self, grads, variables)

    def global_metrics_result(self, metrics, compute):
        from brickwork.distribution import training
        return training.global_metrics_result(self, metrics, compute)

    def gather_predictions(self, chunks, adapter):
        from brickwork.distribution import training
        return training.gather_predictions(self, chunks, adapter)

    def any_process(self, flag):
        return self.communicator.any(flag)

    @contextlib.contextmanager
    def ends_all_processes_on_error(self, where):
        """An exception inside ends every process (no one is left waiting in
        a collective), after a message naming this rank."""
        try:
            yield
        except BaseException as error:
            if isinstance(error, SystemExit) and error.code in (0, None):
                raise
            traceback.print_exc()
            _report_and_abort(self.communicator, where, error)


def set_distribution(value):
    """Make ``value`` (a ``DataParallel``, or None) the distribution ``fit``,
    ``evaluate`` and ``predict`` use."""
    if value is not None and not isinstance(value, DataParallel):
        raise ValueError(f"set_distribution expects a DataParallel or None; got {value!r}.")
    if value is not None and value.num_processes > 1:
        initialize()
    distribution_state.set_distribution(value)


def distribution():
    """The distribution now set, or None."""
    return distribution_state.get_distribution()


def distribute_tensor(tensor, layout):
    """This process's part of ``tensor`` under ``layout``: the rows of the
    process when its first axis is split along the batch axis, the whole
    tensor when it is replicated.

    Args:
        tensor: an array (the global value, the same on every process).
        layout: a ``TensorLayout`` (or a distribution's ``get_data_layout``).
    """
    from brickwork import ops
    from brickwork.distribution.sharding import shard_bounds
    if not isinstance(layout, TensorLayout):
        raise ValueError(f"distribute_tensor expects a TensorLayout; got {layout!r}.")
    split = [axis for axis in layout.axes if axis is not None]
    if not split:
        return tensor
    if layout.axes[0] is None or len(split) > 1:
        raise ValueError(f"distribute_tensor: data parallelism splits the first axis only; "
                         f"got layout axes {layout.axes}.")
    comm = communicator()
    start, size = shard_bounds(int(ops.shape(tensor)[0]), comm.size, comm.rank)
    return tensor[start:start + size]


__all__ = ["DataParallel", "DeviceMesh", "TensorLayout", "distribute_tensor", "distribution",
           "get_device_count", "initialize", "list_devices", "set_distribution"]
