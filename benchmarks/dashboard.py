"""Benchmark the last N commits with asv and publish the HTML dashboard.

    python benchmarks/dashboard.py [--commits 5] [--bench Models] [--quick] [--serve]

asv builds each commit into its own virtualenv (``asv.conf.json``: numba for
the compiled CPU loops and torch for the PyTorch rows come from its
``matrix``), runs the suite on every usable backend (the CuPy rows run where
a GPU is, and are skipped elsewhere) next to the ``torch`` rows, stores the
results under ``.asv/results`` and writes the dashboard to ``.asv/html``:
one graph per benchmark, one line per backend, commits along the x axis.
Results accumulate, so a later run over newer commits extends the history.

``--quick`` times each benchmark once (a rough picture, for checking the
set-up); without it asv takes its usual repeated samples. Both are given,
as measured here, in the README.
"""
from __future__ import annotations

import argparse
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def asv(*arguments):
    command = [sys.executable, "-m", "asv", *arguments]
    print("+", " ".join(command[2:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5,
                        help="how many commits back from HEAD to benchmark (default 5)")
    parser.add_argument("--bench", default="Models",
                        help="asv's benchmark filter, a regular expression (default: the "
                             "model benchmarks; '.' for every kernel as well)")
    parser.add_argument("--quick", action="store_true", help="one sample per benchmark")
    parser.add_argument("--serve", action="store_true",
                        help="serve the dashboard on localhost afterwards (asv preview)")
    args = parser.parse_args(argv)
    if shutil.which("git") is None:
        sys.exit("dashboard.py needs git: asv checks out each commit to build it")
    started = time.perf_counter()
    asv("machine", "--yes")
    run = ["run", "--bench", args.bench, "--skip-existing-successful",
           f"HEAD~{args.commits}..HEAD"]
    if args.quick:
        run.insert(1, "--quick")
    asv(*run)
    asv("publish")
    minutes = (time.perf_counter() - started) / 60
    print(f"dashboard: {ROOT / '.asv' / 'html' / 'index.html'} "
          f"({args.commits} commits in {minutes:.1f} min)")
    if args.serve:
        asv("preview")


if __name__ == "__main__":
    main()
