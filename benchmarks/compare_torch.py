"""Time brickwork against PyTorch (CPU) on the same models, in one run.

    python benchmarks/compare_torch.py [--repeats 7] [--only cnn] [--output FILE]

Workloads are the modules of ``benchmarks/workloads/``: each defines
``cases()``, returning :class:`workloads.Case` objects that build the same
computation in brickwork and (when ``torch`` is installed) in PyTorch. Every
case is timed after warm-up as the median of several repeats, brickwork and
torch taking turns in rounds, float32, with both libraries on the same number of threads
(2 by default), and the table lists both times and the brickwork/torch ratio.

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


def run(args):
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    import numpy as np
    from brickwork_numpy import compiled
    # With numba installed, also time brickwork's pure-NumPy paths in the same
    # run: the baseline that the compiled loops are measured against.
    baseline = compiled.enabled() and not args.no_baseline
    lines = [f"# brickwork vs PyTorch (CPU), float32, {args.threads} threads, median of "
             f"{args.repeats} after warm-up; {datetime.date.today().isoformat()}",
             f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy "
             f"{np.__version__}, torch {torch.__version__ if torch else 'not installed'}; "
             f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine "
             f"makes these numbers noisy)",
             f"# brickwork NumPy backend: {compiled.describe()}"
             + ("; 'numpy ms' = the same with BRICKWORK_NUMBA=0 paths" if baseline else ""),
             f"{'workload':<44}{'brickwork ms':>14}" + (f"{'numpy ms':>10}" if baseline else "")
             + f"{'torch ms':>10}{'ratio':>8}{'target':>8}"]
    print("\n".join(lines), flush=True)
    for module in discover(args.only):
        for case in module.cases():
            ours_step = case.brickwork()
            steps = [ours_step] + ([_without_compiled_loops(ours_step)] if baseline else []) \
                + ([case.torch()] if torch else [])
            times = median_seconds(steps, args.repeats)
            ours = times[0]
            theirs = times[-1] if torch else None
            ratio = f"{ours / theirs:8.2f}" if theirs else f"{'-':>8}"
            target = f"{case.target:8.2f}" if case.target else f"{'':>8}"
            line = (f"{case.name:<44}{ours * 1e3:14.1f}"
                    + (f"{times[1] * 1e3:10.1f}" if baseline else "")
                    + f"{(theirs * 1e3 if theirs else float('nan')):10.1f}{ratio}{target}")
            lines.append(line)
            print(line, flush=True)
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
