"""Time brickwork against PyTorch (CPU) on the same models, in one run.

    python benchmarks/compare_torch.py [--repeats 7] [--only cnn] [--output FILE]

Workloads are the modules of ``benchmarks/workloads/``: each defines
``cases()``, returning :class:`workloads.Case` objects that build the same
computation in brickwork and (when ``torch`` is installed) in PyTorch. Every
case is timed after warm-up as the median of several repeats, brickwork and
torch taking turns in rounds, float32, with both libraries on the same number of threads
(2 by default), and the table lists both times and the brickwork/torch ratio.
Where brickwork's CuPy backend can run (a GPU), a second table times the same
cases on it, against torch on CUDA when this torch has CUDA, each step
followed by a device synchronization.

Environment: the script re-executes itself once with the thread variables
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) and glibc's
``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` set, because they are
read at process start: with them, freed multi-megabyte arrays are reused from
the heap instead of being returned to the OS and faulted in again.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import os
import pathlib
import platform
import pkgutil
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MALLOC_VARIABLES = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 31)}
_MARK = "BRICKWORK_COMPARE_TORCH_ENV"


def _reexec_with_environment(threads):
    if os.environ.get(_MARK):
        return
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARIABLES}, **MALLOC_VARIABLES)
    env[_MARK] = "1"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def median_seconds(steps, repeats, rounds=5):
    """Median time of each step function. The timings come in ``rounds``
    runs of consecutive repeats per step (each after a warm-up call and a
    pause that lets the other library's spinning worker threads go idle), the
    steps taking turns, so load from other work hits them alike. This host
    runs in fast and slow phases of a few seconds (the same step measured
    52 or 72 ms); five rounds rather than three spread both libraries over
    them more evenly."""
    times = [[] for _ in steps]
    per_round = max(1, -(-repeats // rounds))
    for _ in range(rounds):
        for step, record in zip(steps, times):
            time.sleep(0.2)
            step()
            for _ in range(per_round):
                start = time.perf_counter()
                step()
                record.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def discover(only=None):
    sys.path.insert(0, str(HERE))
    import workloads
    modules = []
    for info in pkgutil.iter_modules(workloads.__path__):
        if only and info.name not in only:
            continue
        modules.append(importlib.import_module(f"workloads.{info.name}"))
    return modules


def _without_compiled_loops(step):
    """The same step on the NumPy backend's pure-NumPy paths."""
    from brickwork_numpy import compiled

    def run_step():
        with compiled.disabled():
            return step()
    return run_step


def _usable(backend_name):
    from brickwork.backend import list_backends
    return any(status.name == backend_name and status.usable for status in list_backends())


def _on_cupy(build):
    """A brickwork step built and run on the CuPy backend; each run waits for
    the device, so the time is the work's, not its launch."""
    import cupy
    from brickwork.backend import use_backend
    with use_backend("cupy"):
        step = build()

    def run_step():
        with use_backend("cupy"):
            step()
        cupy.cuda.Stream.null.synchronize()
    return run_step


def _torch_on_cuda(build):
    """A torch step built with its model and inputs on the GPU; each run
    waits for the device."""
    import torch
    import workloads
    workloads.TORCH_DEVICE = "cuda"
    try:
        step = build()
    finally:
        workloads.TORCH_DEVICE = "cpu"

    def run_step():
        step()
        torch.cuda.synchronize()
    return run_step


def _table(title, columns, rows, repeats, lines):
    """Time ``rows`` (case, build, has_torch), ``build()`` returning the
    case's steps (brickwork first, torch last when ``has_torch``), and append
    one line per case to ``lines``: brickwork, the extra columns, torch and
    the ratio."""
    header = f"{'workload':<44}{'brickwork ms':>14}" + "".join(f"{c:>10}" for c in columns) \
        + f"{'torch ms':>10}{'ratio':>8}{'target':>8}"
    for line in (title, header):
        lines.append(line)
        print(line, flush=True)
    for case, build, has_torch in rows:
        times = median_seconds(build(), repeats)
        ours = times[0]
        theirs = times[-1] if has_torch else None
        ratio = f"{ours / theirs:8.2f}" if theirs else f"{'-':>8}"
        target = f"{case.target:8.2f}" if case.target else f"{'':>8}"
        line = (f"{case.name:<44}{ours * 1e3:14.1f}"
                + "".join(f"{t * 1e3:10.1f}" for t in times[1:len(columns) + 1])
                + f"{(theirs * 1e3 if theirs else float('nan')):10.1f}{ratio}{target}")
        lines.append(line)
        print(line, flush=True)


def run(args):
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    import numpy as np
    from brickwork_numpy import compiled
    cases = [case for module in discover(args.only) for case in module.cases()]
    # With numba installed, also time brickwork's pure-NumPy paths in the same
    # run: the baseline that the compiled loops are measured against.
    baseline = compiled.enabled() and not args.no_baseline
    lines = [f"# brickwork vs PyTorch (CPU), float32, {args.threads} threads, median of "
             f"{args.repeats} after warm-up; {datetime.date.today().isoformat()}",
             f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy "
             f"{np.__version__}, torch {torch.__version__ if torch else 'not installed'}; "
             f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine "
             f"makes these numbers noisy)"]
    print("\n".join(lines), flush=True)
    def cpu_steps(case):
        ours = case.brickwork()
        return [ours] + ([_without_compiled_loops(ours)] if baseline else []) \
            + ([case.torch()] if torch else [])
    rows = [(case, lambda case=case: cpu_steps(case), bool(torch)) for case in cases]
    _table(f"# brickwork NumPy backend: {compiled.describe()}"
           + ("; 'numpy ms' = the same with BRICKWORK_NUMBA=0 paths" if baseline else ""),
           ["numpy ms"] if baseline else [], rows, args.repeats, lines)
    if _usable("cupy"):
        # The GPU variant: brickwork's CuPy backend against torch on CUDA (when
        # this torch has it). brickwork's times include copying each NumPy
        # batch to the device, as train_on_batch does; torch's inputs are
        # already there.
        import cupy
        torch_gpu = bool(torch) and torch.cuda.is_available()
        device = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
        rows = [(case, lambda case=case: [_on_cupy(case.brickwork)]
                 + ([_torch_on_cuda(case.torch)] if torch_gpu else []), torch_gpu)
                for case in cases]
        lines.append("")
        _table(f"# GPU: brickwork CuPy backend vs PyTorch CUDA on {device}"
               + ("" if torch_gpu else " (this torch has no CUDA: brickwork only)"),
               [], rows, args.repeats, lines)
    if args.output:
        pathlib.Path(args.output).write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="workload module names (e.g. cnn mlp)")
    parser.add_argument("--output", help="also write the table to this file")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip timing brickwork's pure-NumPy paths (BRICKWORK_NUMBA=0)")
    args = parser.parse_args()
    _reexec_with_environment(args.threads)
    run(args)


if __name__ == "__main__":
    main()
