"""Draw the newest table of ``benchmarks/results/compare_torch_cpu.txt`` as a
bar chart of brickwork/PyTorch time ratios (docs/images/compare_torch_cpu.png).

    python benchmarks/plot_compare_torch.py [--results FILE] [--output PNG]

Needs matplotlib (the ``plot`` extra).
"""
from __future__ import annotations

import argparse
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
ROW = re.compile(r"^(?P<name>\S.*?)\s{2,}(?P<brickwork>[\d.]+)\s+(?P<numpy>[\d.]+)\s+"
                 r"(?P<torch>[\d.]+)\s+(?P<ratio>[\d.]+)(?:\s+(?P<target>[\d.]+))?\s*$")


def newest_table(text):
    """(header comment lines, rows) of the last table in a results file."""
    blocks = [block for block in text.split("\n\n") if "workload" in block]
    lines = blocks[-1].strip().splitlines()
    header = [line.lstrip("# ") for line in lines if line.startswith("#")]
    rows = [match.groupdict() for match in map(ROW.match, lines) if match]
    return header, rows


def plot(header, rows, output):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [row["name"] for row in rows][::-1]
    compiled = [float(row["ratio"]) for row in rows][::-1]
    plain = [float(row["numpy"]) / float(row["torch"]) for row in rows][::-1]
    figure, axes = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6), dpi=100)
    positions = range(len(rows))
    axes.barh([p + 0.2 for p in positions], compiled, height=0.4, label="brickwork (compiled loops)")
    axes.barh([p - 0.2 for p in positions], plain, height=0.4, label="brickwork, pure NumPy")
    axes.axvline(1.0, color="black", linewidth=1)
    axes.set_yticks(list(positions), names, fontsize=8)
    axes.set_xlabel("time relative to PyTorch (lower is faster; 1.0 = PyTorch)")
    axes.set_title(header[0] if header else "brickwork vs PyTorch", fontsize=9)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(output)
    plt.close(figure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=ROOT / "benchmarks/results/compare_torch_cpu.txt")
    parser.add_argument("--output", default=ROOT / "docs/images/compare_torch_cpu.png")
    args = parser.parse_args(argv)
    header, rows = newest_table(pathlib.Path(args.results).read_text())
    plot(header, rows, args.output)
    print(f"wrote {args.output} ({len(rows)} workloads)")


if __name__ == "__main__":
    main()
