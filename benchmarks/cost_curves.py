"""Cost curves: time per sample against PyTorch over batch sizes and
sequence lengths, and the peak resident memory of a train step.

    python benchmarks/cost_curves.py [--quick] [--repeats 5]

* The seed CNN and the MLP 784-512-512-10 (``workloads/cnn.py``,
  ``workloads/mlp.py``) at batch sizes 1 to 512, and Embedding -> LSTM(128)
  -> Dense (``workloads/recurrent.py``) at batch 64 over sequence lengths 10
  to 1,000: a train step (``train_on_batch`` / an Adam step in torch) and an
  inference step (``predict_on_batch`` / ``no_grad`` forward), each timed as
  in ``compare_torch.py`` (the median over rounds in which brickwork and torch
  take turns, same thread count, same glibc malloc settings), divided by the
  batch size.
* Peak resident memory: for each library and workload (CNN b128, MLP b256,
  LSTM t100 b64), a fresh subprocess imports the library, builds the model
  and runs one warm-up step, then resets the kernel's high-water mark
  (``/proc/self/clear_refs``), runs three train steps and reads ``VmHWM``
  from ``/proc/self/status``: the peak of the train steps, with what import
  and model already hold included. Linux only.

Writes the table to ``benchmarks/results/cost_curves_cpu.txt`` and the
picture to ``docs/images/cost_curves_cpu.png``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare_torch  # noqa: E402  (the timing helper and the environment re-exec)

BATCHES = (1, 4, 16, 64, 128, 256, 512)
STEPS = (10, 30, 100, 300, 1000)
QUICK_BATCHES = (1, 16, 128, 512)
QUICK_STEPS = (10, 100, 1000)
SEQUENCE_BATCH = 64
MEMORY_CASES = (("cnn", 128), ("mlp", 256), ("lstm", 100))


# -- the steps: factories of (brickwork step, torch step), each built on demand --

def cnn_steps(batch, train):
    from workloads import cnn, data, labels, torch_inference, torch_train_step
    x, y = data((batch, 28, 28, 1)), labels(batch)
    x_nchw = x.transpose(0, 3, 1, 2).copy()

    def ours():
        model = cnn.seed_cnn()
        if train:
            return lambda: model.train_on_batch(x, y)
        return lambda: model.predict_on_batch(x)

    def theirs():
        if train:
            return torch_train_step(cnn.torch_seed_cnn(), x_nchw, y)
        return torch_inference(cnn.torch_seed_cnn(), x_nchw)
    return ours, theirs


def mlp_steps(batch, train):
    from workloads import data, labels, mlp, torch_inference, torch_train_step
    x, y = data((batch, 784)), labels(batch)

    def ours():
        model = mlp.brickwork_model()
        if train:
            return lambda: model.train_on_batch(x, y)
        return lambda: model.predict_on_batch(x)

    def theirs():
        if train:
            return torch_train_step(mlp.torch_model(), x, y)
        return torch_inference(mlp.torch_model(), x)
    return ours, theirs


def lstm_steps(steps, train):
    from workloads import recurrent, torch_input
    x = recurrent.tokens(batch=SEQUENCE_BATCH, steps=steps)
    y = recurrent.targets(batch=SEQUENCE_BATCH)

    def ours():
        model = recurrent.brickwork_model("lstm", steps=steps)
        if train:
            return lambda: model.train_on_batch(x, y)
        return lambda: model.predict_on_batch(x)

    def theirs():
        import torch
        if train:
            return recurrent.torch_train_step(recurrent.torch_model("lstm"), x, y)
        net = recurrent.torch_model("lstm").eval()
        xt = torch_input(x).long()

        def step():
            with torch.no_grad():
                return net(xt)
        return step
    return ours, theirs


CURVES = {  # name: (builder, sizes' label, per-sample divisor of a size)
    "cnn": (cnn_steps, "batch", lambda size: size),
    "mlp": (mlp_steps, "batch", lambda size: size),
    "lstm": (lstm_steps, "steps", lambda size: SEQUENCE_BATCH),
}


def time_curves(sizes_for, repeats):
    """``{(workload, mode): [(size, brickwork s/sample, torch s/sample)]}``."""
    results = {}
    for name, (build, _, per) in CURVES.items():
        for mode in ("train", "inference"):
            rows = results[(name, mode)] = []
            for size in sizes_for[name]:
                factories = build(size, mode == "train")
                steps = [factory() for factory in factories]
                ours, theirs = compare_torch.median_seconds(steps, repeats)
                rows.append((size, ours / per(size), theirs / per(size)))
                print(f"{name:5s} {mode:9s} {size:5d}  brickwork {ours / per(size) * 1e3:9.4f}"
                      f"  torch {theirs / per(size) * 1e3:9.4f} ms/sample  "
                      f"ratio {ours / theirs:5.2f}", flush=True)
    return results


# -- peak memory, one fresh process per library and workload ---------------------

_MEMORY_CHILD = r"""
import json, os, sys
sys.path.insert(0, {here!r})
import cost_curves
library, workload, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
print(json.dumps(cost_curves.measure_memory(library, workload, size)))
"""


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure_memory(library, workload, size):
    """Run in a fresh process: resident memory after import and build, and
    the peak while three train steps run (KiB)."""
    ours, theirs = CURVES[workload][0](size, True)
    if library == "torch":
        import torch
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        step = theirs()
    else:
        step = ours()  # torch is not imported in this process
    step()  # warm-up: lazy builds, optimizer slots, compiled loops
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM to the current resident size
    for _ in range(3):
        step()
    return {"rss_before_kib": before, "peak_kib": _status_kib("VmHWM")}


def memory_table():
    rows = []
    for workload, size in MEMORY_CASES:
        row = {"workload": workload, "size": size}
        for library in ("brickwork", "torch"):
            out = subprocess.run(
                [sys.executable, "-c", _MEMORY_CHILD.format(here=str(HERE)), library, workload,
                 str(size)], capture_output=True, text=True, check=True)
            row[library] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        b, t = row["brickwork"], row["torch"]
        print(f"memory {workload} {size}: brickwork peak {b['peak_kib'] / 1024:.0f} MiB "
              f"(steady {b['rss_before_kib'] / 1024:.0f}), torch peak {t['peak_kib'] / 1024:.0f} "
              f"MiB (steady {t['rss_before_kib'] / 1024:.0f})", flush=True)
    return rows


# -- output -----------------------------------------------------------------------

def write_table(path, header, results, memory):
    lines = list(header)
    for (name, mode), rows in results.items():
        label = CURVES[name][1]
        lines.append("")
        lines.append(f"# {name} {mode}: ms per sample" + (
            f" (batch {SEQUENCE_BATCH})" if name == "lstm" else ""))
        lines.append(f"{label:>8}{'brickwork':>12}{'torch':>12}{'ratio':>8}")
        for size, ours, theirs in rows:
            lines.append(f"{size:8d}{ours * 1e3:12.4f}{theirs * 1e3:12.4f}{ours / theirs:8.2f}")
    lines.append("")
    lines.append("# peak resident memory of a train step (MiB): VmHWM over three steps after "
                 "a warm-up, fresh process each; 'steady' = VmRSS before them")
    lines.append(f"{'workload':<14}{'brickwork peak':>16}{'steady':>9}{'torch peak':>12}"
                 f"{'steady':>9}{'ratio':>8}")
    for row in memory:
        b, t = row["brickwork"], row["torch"]
        name = f"{row['workload']} " + ("t" if row["workload"] == "lstm" else "b") + str(row["size"])
        lines.append(f"{name:<14}{b['peak_kib'] / 1024:16.0f}{b['rss_before_kib'] / 1024:9.0f}"
                     f"{t['peak_kib'] / 1024:12.0f}{t['rss_before_kib'] / 1024:9.0f}"
                     f"{b['peak_kib'] / t['peak_kib']:8.2f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def plot(path, results, memory, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    colors = {"train": "tab:blue", "inference": "tab:orange"}
    for ax, name in zip(axes, ("cnn", "mlp", "lstm")):
        for mode in ("train", "inference"):
            rows = results[(name, mode)]
            sizes = [r[0] for r in rows]
            ax.plot(sizes, [r[1] * 1e3 for r in rows], "o-", color=colors[mode],
                    label=f"brickwork {mode}")
            ax.plot(sizes, [r[2] * 1e3 for r in rows], "s--", color=colors[mode], alpha=0.6,
                    label=f"torch {mode}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        label = CURVES[name][1]
        ax.set_xlabel("sequence length" if label == "steps" else "batch size")
        ax.set_ylabel("ms per sample")
        ax.set_title({"cnn": "seed CNN", "mlp": "MLP 784-512-512-10",
                      "lstm": f"Embedding-LSTM(128), batch {SEQUENCE_BATCH}"}[name])
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    ax = axes[3]
    names = [f"{r['workload']}" for r in memory]
    positions = range(len(memory))
    ax.bar([p - 0.2 for p in positions], [r["brickwork"]["peak_kib"] / 1024 for r in memory],
           0.4, label="brickwork")
    ax.bar([p + 0.2 for p in positions], [r["torch"]["peak_kib"] / 1024 for r in memory],
           0.4, label="torch")
    ax.set_xticks(list(positions), names)
    ax.set_ylabel("peak resident MiB, train step")
    ax.set_title("peak memory (fresh process)")
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer sizes")
    parser.add_argument("--output", default=str(HERE / "results" / "cost_curves_cpu.txt"))
    parser.add_argument("--image", default=str(HERE.parent / "docs" / "images" /
                                               "cost_curves_cpu.png"))
    args = parser.parse_args()
    compare_torch._reexec_with_environment(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    from brickwork_numpy import compiled
    load = os.getloadavg()[0]
    sizes = {"cnn": QUICK_BATCHES if args.quick else BATCHES,
             "mlp": QUICK_BATCHES if args.quick else BATCHES,
             "lstm": QUICK_STEPS if args.quick else STEPS}
    results = time_curves(sizes, args.repeats)
    memory = memory_table()
    header = [f"# cost curves: brickwork vs PyTorch (CPU), float32, {args.threads} thread"
              f"{'s' if args.threads > 1 else ''}, "
              f"median of {args.repeats} after warm-up; {datetime.date.today().isoformat()}",
              f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, numpy "
              f"{np.__version__}, torch {torch.__version__}; {compiled.describe()}; load average "
              f"at start {load:.2f}, at end {os.getloadavg()[0]:.2f}"]
    write_table(pathlib.Path(args.output), header, results, memory)
    plot(pathlib.Path(args.image), results, memory, header[0].lstrip("# "))


if __name__ == "__main__":
    main()
