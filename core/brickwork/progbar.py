"""A Keras-style progress bar (``keras.utils.Progbar``)."""
from __future__ import annotations

import logging
import os
import re
import sys
import time

from brickwork import global_state

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
_BAR_WIDTH = 20
_MIN_INTERVAL = 0.05


def _format_value(value, strict_positive):
    value = float(value)
    large = value > 1e-3 if strict_positive else abs(value) > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def _format_time_per_step(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Shows ``step/target`` with a bar, timing and the running values.

    verbose=1 redraws one line in place on a terminal (or a notebook); where
    the output is a pipe or a file it writes that line once, when the target
    is reached, without colours or cursor control, so logs stay clean.
    verbose=2 prints one plain line when the target is reached.
    """

    def __init__(self, target, width=_BAR_WIDTH, verbose=1, interval=_MIN_INTERVAL,
                 stateful_metrics=None, unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream
        self._start = time.time()
        self._last_update = 0.0
        self._previous_width = 0
        self._time_after_first_step = None
        self._values = {}
        self._dynamic = _is_interactive(self._out()) and _logging_interactive()

    def _out(self):
        return self.stream or sys.stdout

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._values.update(values or {})
        now = time.time()
        if current == 1 and self._time_after_first_step is None:
            self._time_after_first_step = now
        per_step = self._time_per_step(current, now)
        if self.verbose == 1:
            if not finalize and (not self._dynamic or now - self._last_update < self.interval):
                return
            self._write_dynamic(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize:
            self._write_line(current, now, per_step)
        self._last_update = now

    def _time_per_step(self, current, now):
        if current > 1 and self._time_after_first_step is not None:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / max(current, 1)

    def _values_text(self, strict_positive):
        return "".join(f" - {key}: {_format_value(value, strict_positive)}"
                       for key, value in self._values.items())

    def _write_dynamic(self, current, now, per_step, finalize):
        counter = f"{current:{len(str(self.target))}d}/{self.target}" if self.target else f"{current}"
        filled = int(self.width * current / self.target) if self.target else 0
        bar = f"{_GREEN}{'━' * filled}{_RESET}{_GREY}{'━' * (self.width - filled)}{_RESET}"
        if finalize:
            clock = f"{now - self._start:.0f}s"
        else:
            remaining = per_step * (self.target - current) if self.target else 0
            clock = f"{remaining:.0f}s"
        visible = (f"{counter} {'━' * self.width} {clock} {_format_time_per_step(per_step)}"
                   f"{self._values_text(False)}")
        if not self._dynamic:
            self._emit(visible + "\n")
            return
        text = (f"{_BOLD}{counter}{_RESET} {bar} {_BOLD}{clock}{_RESET} "
                f"{_format_time_per_step(per_step)}{self._values_text(False)}")
        if len(visible) < self._previous_width:
            text += " " * (self._previous_width - len(visible))
        self._emit("\b" * self._previous_width + "\r" + text + ("\n" if finalize else ""))
        self._previous_width = max(len(visible), self._previous_width)

    def _emit(self, text):
        if self.stream is None and not _logging_interactive():
            print_msg(text, line_break=False)
            return
        out = self._out()
        out.write(text)
        out.flush()

    def _write_line(self, current, now, per_step):
        counter = f"{current:{len(str(self.target))}d}/{self.target}"
        self._emit(f"{counter} - {now - self._start:.0f}s - {_format_time_per_step(per_step)}"
                   f"{self._values_text(True)}\n")


def _is_interactive(stream):
    """A terminal or a notebook, where a line can be redrawn in place."""
    return (getattr(stream, "isatty", lambda: False)() or "ipykernel" in sys.modules
            or "PYCHARM_HOSTED" in os.environ)


# --- brickwork.config.disable_interactive_logging -----------------------------

_CONTROL = re.compile(r"\x1b\[[0-9;]*m|[\b\r]")


def _logging_interactive():
    return global_state.get_global_attribute("interactive_logging", True)


def print_msg(message, line_break=True):
    """Print ``message`` to stdout, or, when interactive logging is off
    (``brickwork.config.disable_interactive_logging``), log it to the
    ``"brickwork"`` logger at INFO level without colours or cursor control
    (Keras's ``io_utils.print_msg``). For progress bars and callbacks."""
    if _logging_interactive():
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
        return
    text = _CONTROL.sub("", message).strip()
    if text:
        logging.getLogger("brickwork").info(text)
