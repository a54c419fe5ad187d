"""The ``Example:`` of every public layer's docstring runs and prints what it
says (issue 19 item 5): ``help(layers.X)`` must not show a wrong answer.

Each example runs as a doctest with ``np``, ``brickwork``, ``keras`` (the
same module), ``layers`` and ``ops`` in scope; whitespace inside printed
arrays may differ.
"""
import doctest
import inspect

import numpy as np
import pytest

import brickwork
from brickwork import backend, layers, ops
from test_layer_docs import LAYER_CLASSES

# The examples print what the NumPy backend returns (NumPy arrays).
pytestmark = pytest.mark.skipif(backend.backend() != "numpy",
                                reason="the examples print NumPy backend arrays")

EXAMPLES = [(name, cls) for name, cls in LAYER_CLASSES if ">>>" in (inspect.getdoc(cls) or "")]


@pytest.mark.parametrize("name,cls", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_the_docstring_example_of_a_layer_runs(name, cls):
    scope = {"np": np, "brickwork": brickwork, "keras": brickwork, "layers": layers, "ops": ops}
    test = doctest.DocTestParser().get_doctest(inspect.getdoc(cls), scope, name,
                                               inspect.getsourcefile(cls), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_every_layer_has_an_example_to_run():
    assert [name for name, cls in LAYER_CLASSES if (name, cls) not in EXAMPLES] == []
