"""Process-wide settings behind ``brickwork.config`` and ``brickwork.backend``.

A leaf module (it imports only the standard library), so that both
``brickwork.config`` and the light ``brickwork.backend`` selection module can
read and write these settings without importing each other or NumPy.

Two kinds of state live here, as in Keras:

- *configuration* (``floatx``, ``epsilon``, ``image_data_format``,
  ``max_epochs``, ``max_steps_per_epoch``): kept by ``clear_session``;
- *session attributes* (interactive logging, traceback filtering,
  flash attention, the global dtype policy, ...): a dict that
  ``clear_session`` empties, so each goes back to its default.
"""
from __future__ import annotations

import os

FLOAT_DTYPES = ("bfloat16", "float16", "float32", "float64")
DATA_FORMATS = ("channels_first", "channels_last")


def _env_int(name):
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


settings = {
    "floatx": "float32",
    "epsilon": 1e-7,
    "image_data_format": "channels_last",
    # Keras reads KERAS_MAX_EPOCHS / KERAS_MAX_STEPS_PER_EPOCH; brickwork
    # reads its own names first, then Keras's.
    "max_epochs": _env_int("BRICKWORK_MAX_EPOCHS") or _env_int("KERAS_MAX_EPOCHS"),
    "max_steps_per_epoch": (_env_int("BRICKWORK_MAX_STEPS_PER_EPOCH")
                            or _env_int("KERAS_MAX_STEPS_PER_EPOCH")),
}

_attributes: dict = {}


def get_global_attribute(name, default=None, set_to_default=False):
    """A session attribute, or ``default`` (stored when ``set_to_default``)."""
    if name in _attributes:
        return _attributes[name]
    if set_to_default:
        _attributes[name] = default
    return default


def set_global_attribute(name, value):
    _attributes[name] = value


_clear_hooks: list = []


def on_clear_session(hook):
    """Register ``hook()`` to run on ``clear_session`` (e.g. name counters)."""
    if hook not in _clear_hooks:
        _clear_hooks.append(hook)
    return hook


def clear_session(free_memory=True):
    """Reset the session attributes and run the registered hooks."""
    _attributes.clear()
    for hook in list(_clear_hooks):
        hook()
    if free_memory:
        import gc
        gc.collect()
