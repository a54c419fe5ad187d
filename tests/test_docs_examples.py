"""The documentation's examples run: every ```python block of each page
below, in order, in one namespace per page, in a fresh folder.

A block preceded by the line ``<!-- docs-test: skip -->`` is not run.
``mkdocs build --strict`` (in .ci/run) checks the site itself.
"""
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = ["index.md", "customizing-fit.md", "backends.md", "saving.md", "data.md",
         "distributed.md", "applications.md"]
BLOCK = re.compile(r"(<!-- docs-test: skip -->\n)?```python\n(.*?)```", re.S)


def python_blocks(page):
    return [code for skip, code in BLOCK.findall((DOCS / page).read_text()) if not skip]


def test_every_page_of_the_site_is_either_run_or_has_no_python():
    pages = {p.name for p in DOCS.glob("*.md")}
    not_run = {p for p in pages - set(PAGES) if python_blocks(p)}
    assert not_run == {"plugins.md"}  # its blocks are files of a plugin, not a script


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(page)
    assert blocks, f"{page} has no python example"
    namespace = {"__name__": f"docs_{page.replace('-', '_').removesuffix('.md')}"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{page} (block {number})", "exec"), namespace)
