"""``brickwork.config``: global settings under Keras 3's ``keras.config`` names.

The settings live in ``brickwork.global_state``; what reads them:

- ``floatx()``: the default dtype of layers' weights and outputs (through
  the global dtype policy), of ``standardize_dtype(None)``, metrics and
  ``brickwork.random``;
- ``image_data_format()``: what ``data_format=None`` means for
  convolution, pooling, upsampling, cropping/padding and noise layers;
- ``max_epochs()`` / ``max_steps_per_epoch()``: caps on ``fit``;
- ``is_interactive_logging_enabled()``: progress bars and callbacks' messages
  go to stdout when on, to the ``"brickwork"`` logger (``logging.INFO``)
  when off.

``is_nnx_enabled`` (Flax NNX, JAX only) has no brickwork counterpart.
"""
from __future__ import annotations

from brickwork import global_state
from brickwork.backend import backend as _backend_name
from brickwork.backend import (epsilon, floatx, image_data_format, set_epsilon,  # noqa: F401
                               set_floatx, set_image_data_format)
from brickwork.backend import set_backend as _set_backend
from brickwork.dtype_policies import dtype_policy, set_dtype_policy
from brickwork.saving.safe_mode import enable_unsafe_deserialization

__all__ = ["backend", "disable_flash_attention", "disable_interactive_logging",
           "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
           "enable_interactive_logging", "enable_traceback_filtering",
           "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
           "is_flash_attention_enabled", "is_interactive_logging_enabled",
           "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch", "set_backend",
           "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format",
           "set_max_epochs", "set_max_steps_per_epoch"]


def backend():
    """The name of the backend in use (``"numpy"``, ``"cupy"``, or a
    plugin's), as ``keras.config.backend()``."""
    return _backend_name()


def set_backend(backend):
    """Select the backend named ``backend`` for everything computed from now
    on (``brickwork.backend.set_backend``). Unlike Keras, no module is
    reloaded: existing layers keep working, and a model's weights move to the
    new backend when it is next used."""
    _set_backend(backend)


def enable_interactive_logging():
    """Progress bars and callbacks' messages go to stdout (the default)."""
    global_state.set_global_attribute("interactive_logging", True)


def disable_interactive_logging():
    """Progress bars and callbacks' messages go to the ``"brickwork"``
    logger (``logging.INFO``) instead of stdout, for non-interactive runs."""
    global_state.set_global_attribute("interactive_logging", False)


def is_interactive_logging_enabled():
    """Whether progress output goes to stdout (True) or to ``logging``."""
    return global_state.get_global_attribute("interactive_logging", True)


def enable_traceback_filtering():
    """Accepted for Keras compatibility; no effect in brickwork.

    Keras's traceback filtering only hides Keras's own frames from
    tracebacks (cosmetic); brickwork always shows full tracebacks. The flag
    is kept so that ``is_traceback_filtering_enabled`` answers as in Keras.
    """
    global_state.set_global_attribute("traceback_filtering", True)


def disable_traceback_filtering():
    """Accepted for Keras compatibility; no effect in brickwork (see
    :func:`enable_traceback_filtering`)."""
    global_state.set_global_attribute("traceback_filtering", False)


def is_traceback_filtering_enabled():
    """The traceback-filtering flag (True by default). brickwork never
    filters tracebacks, whatever the flag says."""
    return global_state.get_global_attribute("traceback_filtering", True)


def enable_flash_attention():
    """Accepted for Keras compatibility: lets attention layers use flash
    attention where available. No brickwork backend has a flash-attention
    kernel, so attention is computed the same way whatever this says; the
    flag resets to None ("automatic", Keras's default), as in Keras."""
    global_state.set_global_attribute("flash_attention", None)


def disable_flash_attention():
    """Accepted for Keras compatibility: forbids flash attention (which no
    brickwork backend has; see :func:`enable_flash_attention`)."""
    global_state.set_global_attribute("flash_attention", False)


def is_flash_attention_enabled():
    """The flash-attention flag as Keras reports it: None (automatic, the
    default) or False (disabled)."""
    return global_state.get_global_attribute("flash_attention", None)


def max_epochs():
    """The cap on ``fit``'s ``epochs`` (None: no cap). Also set from the
    environment: ``BRICKWORK_MAX_EPOCHS`` (or Keras's ``KERAS_MAX_EPOCHS``)."""
    return global_state.settings["max_epochs"]


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every ``fit`` (None lifts the cap); for
    quick debugging runs. ``fit`` warns when it applies the cap."""
    global_state.settings["max_epochs"] = max_epochs


def max_steps_per_epoch():
    """The cap on steps per epoch of ``fit`` (None: no cap). Also set from
    the environment: ``BRICKWORK_MAX_STEPS_PER_EPOCH`` (or
    ``KERAS_MAX_STEPS_PER_EPOCH``)."""
    return global_state.settings["max_steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the number of steps of each epoch of ``fit`` (None lifts the cap);
    for quick debugging runs. ``fit`` warns when it applies the cap."""
    global_state.settings["max_steps_per_epoch"] = max_steps_per_epoch
