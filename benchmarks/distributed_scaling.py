"""Data-parallel speed on this machine (issue 20): allreduce time against
message size, and training steps per second for one process with two
threads against two processes with one thread each, on the seed CNN and
the 784-512-512-10 MLP at global batch 128.

    python benchmarks/distributed_scaling.py [--quick]

It starts itself under ``mpiexec -n 2`` (the mpi extra) for the parts
that need two processes, and writes ``benchmarks/results/distributed_cpu.txt``.
docs/distributed.md reads these figures into its ring-allreduce cost model.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")
SIZES = [2**10, 2**13, 2**16, 2**19, 2**22, 2**24]   # float32 elements per allreduce


def _times(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def _median(function, repeats):
    return float(np.median(_times(function, repeats)))


def _best(function, repeats):
    """The fastest run: on a shared machine a collective's time is mostly
    how long the scheduler kept one of the processes off a core."""
    return float(np.min(_times(function, repeats)))


# -- the parts that run inside mpiexec ------------------------------------------------------


def measure_allreduce(quick):
    """Median seconds of one in-place float32 Allreduce per size, and of the
    bucketed gradient sum of the two models."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rows = []
    for size in SIZES[:4] if quick else SIZES:
        buffer = np.ones(size, dtype=np.float32)

        def once():
            comm.Barrier()
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        repeats = 5 if size >= 2**22 else 30
        rows.append({"elements": size, "bytes": size * 4, "seconds": _best(once, repeats)})
    return rows


def _model(name):
    sys.path.insert(0, str(HERE))
    from workloads import cnn, data, labels, mlp
    if name == "mlp":
        return mlp.brickwork_model(), data((1024, 784)), labels(1024)
    return cnn.seed_cnn(), data((1024, 28, 28, 1)), labels(1024)


def measure_steps(name, quick):
    """Training steps per second at global batch 128 (fit over 8 batches,
    after a warm-up fit)."""
    import brickwork as keras
    distributed = "PMI_SIZE" in os.environ or "OMPI_COMM_WORLD_SIZE" in os.environ
    if distributed:
        bucket_mb = float(os.environ.get("BRICKWORK_BENCH_BUCKET_MB", "25"))
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(bucket_size_mb=bucket_mb))
    model, x, y = _model(name)
    steps = 4 if quick else 8
    x, y = x[:128 * steps], y[:128 * steps]
    model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0, shuffle=False)
    seconds = _median(lambda: model.fit(x, y, batch_size=128, epochs=1, verbose=0,
                                        shuffle=False), 1 if quick else 3)
    result = {"model": name, "steps_per_second": steps / seconds}
    if distributed:
        reducer = keras.distribution.distribution()._reducer
        result["gradient_bytes"] = int(sum(np.prod(w.shape) for w in model.trainable_weights) * 4)
        result["buckets"] = len(reducer._buckets)
        result["buckets_started_early"] = reducer.buckets_started_early
    return result


def child(args):
    rank = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    if args.part == "allreduce":
        result = measure_allreduce(args.quick)
    else:
        result = measure_steps(args.part, args.quick)
    if rank == 0:
        print("RESULT " + json.dumps(result), flush=True)


# -- the driver ---------------------------------------------------------------------------------


def _mpiexec():
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else "mpiexec"


def _launch(part, processes, threads, quick, bucket_mb=25):
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARIABLES},
               BRICKWORK_BACKEND="numpy", BRICKWORK_BENCH_BUCKET_MB=str(bucket_mb))
    command = [sys.executable, __file__, "--child", part] + (["--quick"] if quick else [])
    if processes > 1:
        command = [_mpiexec(), "-n", str(processes)] + command
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


def _latency_bandwidth(rows, processes=2):
    """``alpha`` and ``beta`` of t = alpha + 2(N-1)/N * bytes / beta: alpha
    from the smallest message, beta from the largest (a least-squares fit
    over all sizes is pulled around by the noise of a shared machine)."""
    factor = 2 * (processes - 1) / processes
    alpha = rows[0]["seconds"]
    beta = factor * rows[-1]["bytes"] / (rows[-1]["seconds"] - alpha)
    return alpha, beta


#: The networks the prediction assumes: (name, alpha seconds, beta bytes/second).
NETWORKS = [("10 Gbit/s Ethernet, MPI over TCP", 50e-6, 1.1e9),
            ("25 Gbit/s RoCE (Horovod's benchmark)", 5e-6, 2.9e9)]


def ring_allreduce_seconds(size_bytes, processes, alpha, beta):
    """The ring allreduce's cost: 2(N-1) messages of S/N bytes each way."""
    return 2 * (processes - 1) * alpha + 2 * (processes - 1) / processes * size_bytes / beta


def predict_scaling(models, measured_alpha, measured_beta):
    """Weak-scaling efficiency T_compute / (T_compute + T_allreduce) at 8,
    16 and 64 hosts, no overlap (a lower bound), for each model's measured
    one-host step time and gradient size."""
    lines = ["Predicted weak-scaling efficiency (one process per host, 128 rows per host",
             "per step, no overlap of compute and allreduce: a lower bound; plus the two",
             "small allreduces of each step, metric states and the stop flag, at",
             "log2(N) * alpha each, as MPI's recursive doubling):",
             f"  measured here: alpha = {measured_alpha * 1e6:.1f} us, "
             f"beta = {measured_beta / 1e9:.2f} GB/s (shared memory)"]
    for network, alpha, beta in NETWORKS:
        lines.append(f"  {network} (alpha = {alpha * 1e6:.0f} us, beta = {beta / 1e9:.1f} GB/s):")
        for name, (compute, size) in models.items():
            cells = []
            for hosts in (8, 16, 64):
                allreduce = (ring_allreduce_seconds(size, hosts, alpha, beta)
                             + 2 * math.ceil(math.log2(hosts)) * alpha)
                cells.append(f"{hosts} hosts {100 * compute / (compute + allreduce):5.1f}% "
                             f"({allreduce * 1e3:.1f} ms)")
            lines.append(f"    {name:<4} step {compute * 1e3:6.1f} ms, {size / 1e6:.2f} MB: "
                         + ", ".join(cells))
    return lines


def driver(args):
    lines = ["brickwork data parallelism on this machine (2 cores, MPICH "
             "over shared memory, NumPy backend)", ""]
    allreduce = _launch("allreduce", 2, 1, args.quick)
    alpha, beta = _latency_bandwidth(allreduce)
    lines.append("Allreduce (in place, float32, 2 processes; the best of 5 to 30 runs):")
    lines.append(f"  {'elements':>10} {'MB':>8} {'ms':>9} {'GB/s (bus)':>11}")
    for row in allreduce:
        bus = row["bytes"] / row["seconds"] / 1e9   # 2(N-1)/N = 1 for N = 2
        lines.append(f"  {row['elements']:>10} {row['bytes'] / 1e6:>8.3f} "
                     f"{row['seconds'] * 1e3:>9.3f} {bus:>11.2f}")
    lines.append(f"  t = alpha + 2(N-1)/N * bytes / beta: alpha = {alpha * 1e6:.1f} us "
                 f"(smallest message), beta = {beta / 1e9:.2f} GB/s (largest)")
    lines.append("")
    lines.append("Training steps per second, global batch 128 (fit over 8 batches, Adam,")
    lines.append("median of 3); the last column: 2 processes with 0.25 MB buckets (buckets,")
    lines.append("of which started during the backward pass):")
    lines.append(f"  {'model':<6} {'1 proc x 1 thread':>18} {'1 proc x 2 threads':>19} "
                 f"{'2 procs x 1 thread':>19} {'gradient MB':>12} {'0.25 MB buckets':>22}")
    steps = {}
    for name in ("mlp", "cnn"):
        alone = _launch(name, 1, 1, args.quick)
        one = _launch(name, 1, 2, args.quick)
        two = _launch(name, 2, 1, args.quick)
        small = _launch(name, 2, 1, args.quick, bucket_mb=0.25)
        steps[name] = (1.0 / alone["steps_per_second"], two["gradient_bytes"])
        lines.append(f"  {name:<6} {alone['steps_per_second']:>18.2f} "
                     f"{one['steps_per_second']:>19.2f} {two['steps_per_second']:>19.2f} "
                     f"{two['gradient_bytes'] / 1e6:>12.2f} "
                     f"{small['steps_per_second']:>9.2f} ({small['buckets']}, "
                     f"{small['buckets_started_early']} early)")
    lines.append("")
    lines += predict_scaling({name: steps[name] for name in steps}, alpha, beta)
    load = os.getloadavg()[0]
    lines.append("")
    lines.append(f"Load average while measuring: {load:.1f} on {os.cpu_count()} cores (a "
                 f"machine shared with other jobs: threads that wait on each other suffer most).")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (HERE / "results" / "distributed_cpu.txt").write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", dest="part", default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if args.part:
        child(args)
    else:
        driver(args)


if __name__ == "__main__":
    main()
