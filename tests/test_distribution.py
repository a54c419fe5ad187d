"""brickwork.distribution: data-parallel training across processes (issue 20).

The end-to-end tests start ``tests/distribution/worker.py`` under
``mpiexec -n 2`` (the mpi extra) and as one plain process, and compare:
two processes with global batch B end with the same weights, loss history,
evaluate and predict results as one process with batch B. The other tests
run in this process: the batch split, dropout masks drawn for the global
batch, bucketed gradient sums started during the backward walk, the API
objects.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import brickwork as keras
from brickwork import distribution_state, ops
from brickwork.distribution.gradients import GradientReducer
from brickwork.distribution.sharding import shard_bounds

WORKER = pathlib.Path(__file__).parent / "distribution" / "worker.py"


def _mpiexec():
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


def _has_mpi():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return _mpiexec() is not None


needs_mpi = pytest.mark.skipif(not _has_mpi(), reason='needs `pip install "brickwork[mpi]"`')


def _run(case, out, processes=2, timeout=120):
    env = dict(os.environ, BRICKWORK_BACKEND="numpy", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    command = [sys.executable, str(WORKER), case, str(out)]
    if processes > 1:
        command = [_mpiexec(), "-n", str(processes)] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=pathlib.Path(__file__).parent.parent)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One plain process and two MPI processes, training the same models."""
    single, double = tmp_path_factory.mktemp("single"), tmp_path_factory.mktemp("double")
    done = _run("single", single, processes=1)
    assert done.returncode == 0, done.stderr[-3000:]
    done = _run("train", double)
    assert done.returncode == 0, done.stderr[-3000:]
    return single, double


@needs_mpi
@pytest.mark.parametrize("name", ["mlp", "cnn", "lstm", "custom_step", "synchronized_bn"])
def test_two_processes_train_as_one_with_the_same_global_batch(runs, name):
    single, double = runs
    one, two = np.load(single / f"{name}.npz"), np.load(double / f"{name}.npz")
    assert sorted(one.files) == sorted(two.files)
    for key in one.files:
        np.testing.assert_allclose(two[key], one[key], rtol=1e-5, atol=1e-5, err_msg=key)


@needs_mpi
def test_logs_and_decisions_agree_and_only_rank_0_writes(runs):
    _, double = runs
    ranks = json.loads((double / "ranks.json").read_text())
    assert ranks["losses"][0] == ranks["losses"][1]   # the same History on both
    assert ranks["epochs"] == [3, 3]                  # EarlyStopping stopped both at once
    assert ranks["csv_opened"] == [True, False]       # CSVLogger runs on rank 0 only
    assert len((double / "mlp.csv").read_text().splitlines()) == 4
    # Weights that differ between processes are named, then rank 0's are used.
    assert ranks["weights_warning"] and re.search(
        r"1 of 4 weights differ from rank 0's on other processes: 'sequential_\d+/dense_\d+/bias' "
        r"\(ranks \[1\]\)", ranks["weights_warning"][0])
    assert ranks["biases"][0] == ranks["biases"][1]


@needs_mpi
def test_a_raising_rank_ends_both_and_backup_resumes(tmp_path, runs):
    single, _ = runs
    crashed = _run("crash", tmp_path, timeout=60)
    assert crashed.returncode != 0
    assert "rank 1 of 2 failed in fit() with RuntimeError: crash injected at epoch 2" \
        in crashed.stderr
    assert (tmp_path / "backup" / "training_metadata.json").exists()
    resumed = _run("resume", tmp_path, timeout=60)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after, whole = np.load(tmp_path / "resumed.npz"), np.load(single / "uninterrupted.npz")
    assert len(after["h_loss"]) == 2   # epochs 0 and 1 were backed up: it ran 2 and 3
    np.testing.assert_allclose(after["h_loss"], whole["h_loss"][2:], rtol=1e-5)
    for key in [k for k in whole.files if k.startswith("w")]:
        np.testing.assert_allclose(after[key], whole[key], rtol=1e-5, atol=1e-6)


@needs_mpi
def test_processes_with_different_models_are_refused(tmp_path):
    done = _run("mismatch", tmp_path, timeout=60)
    assert done.returncode != 0
    assert ("the processes built different models: layer 0 ('dense' on rank 0, 'dense' on "
            "rank 1) has weights of shapes/dtypes [((6, 16), 'float32'), ((16,), 'float32')] "
            "on rank 0 and [((6, 12), 'float32'), ((12,), 'float32')] on rank 1") in done.stderr


# -- in this process ------------------------------------------------------------------------


def test_shard_bounds_cover_every_row_once_in_order():
    for rows in range(2, 12):
        for processes in (2, 3, 4):
            if rows < processes:
                continue
            bounds = [shard_bounds(rows, processes, r) for r in range(processes)]
            assert bounds[0][0] == 0
            assert all(a[0] + a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            assert sum(size for _, size in bounds) == rows
            assert max(s for _, s in bounds) - min(s for _, s in bounds) <= 1


def test_dropout_mask_is_the_global_batch_mask_sliced():
    x = np.arange(1, 1 + 6 * 5, dtype="float32").reshape(6, 5)
    whole = ops.dropout(x, 0.5, (6, 5), np.random.default_rng(7))
    parts = []
    for start, size in [(0, 4), (4, 2)]:
        distribution_state.set_batch_shard(distribution_state.BatchShard(6, start, size))
        try:
            parts.append(ops.dropout(x[start:start + size], 0.5, (size, 5),
                                     np.random.default_rng(7)))
        finally:
            distribution_state.set_batch_shard(None)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


class _SumOfTwo:
    """A transport that adds a second, identical process's buffer (x2), and
    records when each bucket started."""

    def __init__(self):
        self.started = []

    def new_buffer(self, size, dtype):
        return np.zeros(size, dtype=dtype)

    def copy_scaled(self, target, grad, weight):
        np.multiply(np.asarray(grad).reshape(-1), weight, out=target)

    def iallreduce_sum(self, buffer):
        self.started.append(buffer.size)
        buffer *= 2
        return None

    def wait_all(self, requests):
        pass

    def to_backend(self, array):
        return array.copy()


def test_buckets_start_during_the_backward_walk_and_sum_to_the_gradient():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    variables = model.trainable_weights

    def loss_and_tape():
        tape = keras.GradientTape()
        with tape:
            loss = ops.mean(ops.square(model(x)))
        return tape, loss
    tape, loss = loss_and_tape()
    expected = tape.gradient(loss, variables)
    transport = _SumOfTwo()
    reducer = GradientReducer(transport, bucket_bytes=8 * 8 * 4)   # one 8x8 kernel per bucket
    tape, loss = loss_and_tape()
    got = reducer.gradients(tape, loss, variables, weight=0.5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6)
    # Reverse order in buckets of at most 64 floats: [bias3, kernel3, bias2] (26),
    # [kernel2] (64), [bias1, kernel1] (40); the first two start before the
    # walk reaches the first layer.
    assert sorted(transport.started) == [26, 40, 64]
    assert transport.started[-1] == 40
    assert reducer.buckets_started_early == 2


class _DeviceArray(np.ndarray):
    """A NumPy array with CuPy's ``.data.ptr``, standing in for a GPU buffer."""

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.ctypes.data)


def _fake_cupy_and_nccl(calls):
    buffers = {}

    def zeros(size, dtype):
        array = np.zeros(size, dtype=dtype).view(_DeviceArray)
        buffers[array.ctypes.data] = array
        return array

    class Communicator:
        def __init__(self, size, uid, rank):
            calls.append(("init", size, uid, rank))

        def allReduce(self, send, recv, count, dtype, op, stream):  # noqa: N802 (CuPy's)
            calls.append(("allReduce", count, dtype, op, stream))
            assert send == recv and op == nccl_module.NCCL_SUM
            buffers[recv][:count] *= 2   # an identical second process
    stream = types.SimpleNamespace(ptr=1234)
    cupy = types.SimpleNamespace(zeros=zeros, asarray=np.asarray, multiply=np.multiply,
                                 cuda=types.SimpleNamespace(get_current_stream=lambda: stream))
    nccl_module = types.SimpleNamespace(
        get_unique_id=lambda: "unique-id", NcclCommunicator=Communicator, NCCL_SUM=0,
        NCCL_FLOAT16=6, NCCL_FLOAT32=7, NCCL_FLOAT64=8)
    return cupy, nccl_module


def test_nccl_transport_sums_buckets_on_the_stream(monkeypatch):
    """The NCCL path's arithmetic and calls, with NumPy standing in for CuPy
    (the GPU run needs a device: docs/distributed.md)."""
    from brickwork.distribution import nccl
    calls = []
    monkeypatch.setattr(nccl, "import_nccl", lambda: _fake_cupy_and_nccl(calls))
    communicator = types.SimpleNamespace(rank=0, size=2, bcast_object=lambda value: value)
    transport = nccl.NcclTransport(communicator)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    x = np.ones((2, 3), "float32")

    def loss_and_tape():
        tape = keras.GradientTape()
        with tape:
            loss = ops.mean(ops.square(model(x)))
        return tape, loss
    tape, loss = loss_and_tape()
    expected = tape.gradient(loss, model.trainable_weights)
    tape, loss = loss_and_tape()
    got = GradientReducer(transport, bucket_bytes=64).gradients(
        tape, loss, model.trainable_weights, weight=0.5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-6)
    assert calls[0] == ("init", 2, "unique-id", 0)
    reduces = [c for c in calls if c[0] == "allReduce"]
    assert sum(c[1] for c in reduces) == 3 * 4 + 4 + 4 * 2 + 2
    assert all(c[2] == 7 and c[4] == 1234 for c in reduces)   # float32, current stream


def test_tape_reports_each_gradient_once_when_final():
    keras.utils.set_random_seed(0)
    layer = keras.layers.Dense(3)
    layer.build((None, 2))
    x = np.ones((2, 2), "float32")
    tape = keras.GradientTape()
    with tape:
        loss = ops.sum(ops.square(layer(x)))
    seen = []
    grads = tape.gradient(loss, layer.trainable_weights,
                          on_ready=lambda i, g: seen.append((i, np.array(g))))
    assert sorted(i for i, _ in seen) == [0, 1]
    for index, grad in seen:
        np.testing.assert_array_equal(grad, grads[index])


def test_api_in_one_process():
    dist = keras.distribution
    devices = dist.list_devices()
    assert devices == ["cpu:0"] and dist.get_device_count() == 1
    assert dist.list_devices("gpu") == []
    data_parallel = dist.DataParallel()
    assert data_parallel.num_processes == 1 and data_parallel.batch_dim_name == "batch"
    layout = data_parallel.get_data_layout((8, 3))
    assert layout.axes == ("batch", None)
    x = np.arange(8.0).reshape(4, 2)
    assert dist.distribute_tensor(x, layout) is not None
    np.testing.assert_array_equal(dist.distribute_tensor(x, layout), x)
    with data_parallel.scope():
        assert dist.distribution() is data_parallel
    assert dist.distribution() is None
    dist.set_distribution(data_parallel)
    try:
        # One process: fit runs as without a distribution.
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(x, x[:, :1], batch_size=2, verbose=0)
    finally:
        dist.set_distribution(None)


def test_api_errors_say_what_to_fix():
    dist = keras.distribution
    with pytest.raises(ValueError, match=r"shape \(2,\) holds 2 devices but 1 were given"):
        dist.DeviceMesh((2,), ["batch"], ["cpu:0"])
    with pytest.raises(ValueError, match="one name per axis"):
        dist.DeviceMesh((1,), ["batch", "model"], ["cpu:0"])
    mesh = dist.DeviceMesh((1,), ["batch"], ["cpu:0"])
    with pytest.raises(ValueError, match=r"axes \['model'\] are not axes of the mesh"):
        dist.TensorLayout(["model"], mesh)
    with pytest.raises(ValueError, match="the job has 1 process"):
        dist.DataParallel(devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match=r"mpiexec started 1 process\(es\)"):
        dist.initialize(num_processes=4)
    with pytest.raises(ValueError, match="expects a DataParallel"):
        dist.set_distribution("data_parallel")


def test_a_missing_mpi4py_names_the_extra(monkeypatch):
    from brickwork.distribution.communicator import Communicator
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r'pip install "brickwork\[mpi\]"'):
        Communicator()


@pytest.mark.filterwarnings("ignore:.*nccl library could not be loaded")
def test_nccl_transport_imports_without_a_gpu():
    """.ci/run also runs this with the cupy-dev extra, where CuPy is there."""
    from brickwork.distribution import nccl
    try:
        import cupy  # noqa: F401
    except ImportError:
        pass
    else:  # CuPy's NCCL binding imports on a machine without a GPU (or libnccl)
        from cupy.cuda import nccl as cupy_nccl
        assert hasattr(cupy_nccl, "NcclCommunicator") or not getattr(cupy_nccl, "available", 1)
    assert isinstance(nccl.nccl_available(), bool)
    if not nccl.nccl_available():
        with pytest.raises(ImportError, match="NCCL"):
            nccl.import_nccl()
