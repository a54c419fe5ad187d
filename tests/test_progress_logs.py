"""Progress output: redrawn in place on a terminal, one clean line per epoch
(no colours, backspaces or carriage returns) on a pipe or in a file."""
import io
import re

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.progbar import Progbar

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # everything but the newline


def small_model():
    model = bw.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def test_fit_evaluate_and_predict_write_clean_lines_to_a_pipe(capsys):
    x, y = np.ones((40, 3), "float32"), np.zeros((40, 2), "float32")
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    model.evaluate(x, y, batch_size=8, verbose=1)
    model.predict(x[:5], verbose=1)
    out = capsys.readouterr().out
    assert not CONTROL.search(out), repr(out)
    lines = out.splitlines()
    assert len(lines) == 2 + 2 + 1 + 1, lines
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    for line in (lines[1], lines[3], lines[4]):
        assert re.match(r"5/5 ━+ \d+s \d+[mu]?s/step - loss: \S+ - mae: \S+$", line), line
    assert re.match(r"1/1 ━+ \d+s \d+[mu]?s/step$", lines[5]), lines[5]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_the_bar_redrawn_in_place():
    stream = Terminal()
    bar = Progbar(3, verbose=1, interval=0.0, stream=stream)
    for step in (1, 2):
        bar.update(step, {"loss": 1.0 / step})
    bar.update(3, {"loss": 0.25})
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "\x1b[32m" in text  # the filled part of the bar is green


def test_verbose_2_writes_one_plain_line_per_epoch():
    stream = io.StringIO()
    bar = Progbar(4, verbose=2, stream=stream)
    for step in range(1, 5):
        bar.update(step, {"loss": 0.5})
    assert re.fullmatch(r"4/4 - \d+s - \d+[mu]?s/step - loss: 0\.5000\n", stream.getvalue())
