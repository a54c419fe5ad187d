"""Every asv benchmark runs once, on tiny shapes (the suite's smoke mode),
so none can rot.

Timings are never asserted. The import of ``benchmarks/suite/kernels.py``
fails when a kernel spec has no benchmark.
"""
import os
import pathlib
import sys

import pytest

os.environ["BRICKWORK_BENCHMARK_SMOKE"] = "1"  # tiny shapes: check, don't time
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))

from suite import kernels as kernel_benchmarks  # noqa: E402
from suite import models as model_benchmarks  # noqa: E402
from suite import op_overhead as op_benchmarks  # noqa: E402

from brickwork import backend  # noqa: E402
from brickwork.plugin_manager import kernel_spec_names  # noqa: E402


def test_every_kernel_spec_has_a_benchmark():
    assert set(kernel_spec_names()) <= set(kernel_benchmarks.KERNEL_INPUTS)


def _run_once(suite, params, prefixes=("time_", "peakmem_")):
    previous = backend.get_backend().name
    try:
        suite.setup(*params)
        for name in dir(suite):
            if name.startswith(prefixes):
                getattr(suite, name)(*params)
    finally:
        backend.set_backend(previous)


@pytest.mark.parametrize("backend_name", kernel_benchmarks.BACKENDS)
def test_kernel_benchmarks_run(backend_name):
    suite = kernel_benchmarks.Kernels()
    try:
        _run_once(suite, (backend_name,))
    except NotImplementedError as unavailable:
        pytest.skip(str(unavailable))


@pytest.mark.parametrize("workload", sorted(model_benchmarks.WORKLOADS))
def test_model_benchmarks_run(workload):
    _run_once(model_benchmarks.Models(), (workload, "numpy"), prefixes=("time_",))


def test_asv_discovers_the_suite():
    """``asv check`` imports the suite the way asv does and validates it."""
    import importlib.util
    import subprocess
    import sys
    if importlib.util.find_spec("asv") is None:
        pytest.skip("asv is not installed (it comes with the dev extra)")
    root = pathlib.Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "BRICKWORK_BENCHMARK_SMOKE"}
    # This interpreter's asv, so that --python=same is the environment under test.
    result = subprocess.run([sys.executable, "-m", "asv", "check", "--python=same"], cwd=root, capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0 and "No problems found" in result.stdout, \
        result.stdout + result.stderr


@pytest.mark.parametrize("op", sorted(op_benchmarks.OPS))
def test_op_overhead_benchmarks_run_and_compute_the_same(op):
    """Both sides of each pair compute the same value, so the difference
    between their times is the overhead of brickwork.ops alone."""
    import numpy as np

    from brickwork import ops
    suite = op_benchmarks.OpOverhead()
    _run_once(suite, (op, "numpy"))
    through_ops = ops.convert_to_numpy(suite.through_ops(suite.xp, suite.a, suite.b))
    np.testing.assert_array_equal(through_ops, suite.bare(suite.xp, suite.a, suite.b))
