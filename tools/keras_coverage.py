"""How much of Keras 3's public API brickwork has, module by module, from
the committed listing ``tests/fixtures/keras_public_api.json``.

Used by the docs (a mkdocs hook fills the compatibility page's table when the
site is built, so the table is always the current code's) and runnable alone:

    python tools/keras_coverage.py
"""
from __future__ import annotations

import importlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
LISTING = ROOT / "tests" / "fixtures" / "keras_public_api.json"
MARKER = "<!-- keras-coverage -->"


def brickwork_module(path):
    """The brickwork counterpart of Keras module ``path`` (None when absent)."""
    name = "brickwork" if path == "keras" else f"brickwork.{path}"
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def coverage():
    """[(module, keras names, names brickwork has, missing names)], in order."""
    listing = json.loads(LISTING.read_text())
    rows = []
    for path, names in listing["modules"].items():
        module = brickwork_module(path)
        have = [n for n in names if module is not None and hasattr(module, n)]
        rows.append((path, len(names), len(have), [n for n in names if n not in have]))
    return listing["keras_version"], rows


def markdown_table(shown_missing=12):
    version, rows = coverage()
    lines = [f"Measured against Keras {version}'s public names when this site was built.", "",
             "| module | Keras names | in brickwork | not yet (first few) |",
             "|---|---:|---:|---|"]
    for path, total, have, missing in rows:
        listed = ", ".join(f"`{n}`" for n in missing[:shown_missing])
        more = f" and {len(missing) - shown_missing} more" if len(missing) > shown_missing else ""
        lines.append(f"| `{path}` | {total} | {have} | {listed}{more} |")
    total, have = sum(r[1] for r in rows), sum(r[2] for r in rows)
    lines.append(f"| **all** | **{total}** | **{have}** | |")
    return "\n".join(lines)


def on_page_markdown(markdown, page, config, files):
    """mkdocs hook: replace the marker with the table."""
    return markdown.replace(MARKER, markdown_table()) if MARKER in markdown else markdown


if __name__ == "__main__":
    print(markdown_table())
