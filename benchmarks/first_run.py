"""First run against warm run of each example the README names.

    python benchmarks/first_run.py [--examples digits_cnn ...] [--output FILE]

Each example runs twice, as the README runs it, with ``NUMBA_CACHE_DIR``
pointing at a fresh empty folder: the first run compiles every compiled loop
it uses (as on a fresh install, whose cache is empty), the second loads them
from that cache. The wall time of both, their ratio and the load average
are printed (and appended to ``--output`` when given).
"""
from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def readme_examples():
    """The ``examples/*.py`` scripts the README names, in order."""
    text = (ROOT / "README.md").read_text()
    return list(dict.fromkeys(re.findall(r"examples/([a-z_0-9]+)\.py", text)))


def run_once(name, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    subprocess.run([sys.executable, f"{name}.py"], cwd=ROOT / "examples", env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="*", help="example names (default: the README's)")
    parser.add_argument("--output", help="append the table to this file")
    args = parser.parse_args()
    lines = [f"# first run (empty numba cache) vs warm run, README examples; "
             f"{datetime.date.today().isoformat()}, {os.cpu_count()} CPUs",
             f"{'example':<22}{'cold s':>8}{'warm s':>8}{'ratio':>7}{'load':>7}"]
    print("\n".join(lines), flush=True)
    for name in args.examples or readme_examples():
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            cold = run_once(name, cache)
            warm = run_once(name, cache)
        line = f"{name:<22}{cold:8.1f}{warm:8.1f}{cold / warm:7.2f}{os.getloadavg()[0]:7.2f}"
        lines.append(line)
        print(line, flush=True)
    if args.output:
        with open(args.output, "a") as out:
            out.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
