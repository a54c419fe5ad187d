"""Refusing to compute on state that lives on another backend.

Layers (at each call) and the trainer (once per fit/evaluate/predict call)
compare where their state lives with the selected backend; this module holds
that check, below both, so neither reaches up into ``brickwork.models``.
Moving a model is :mod:`brickwork.models.backend_move`.
"""
from __future__ import annotations

from brickwork import backend as _backend


def mixed_backend_error(owner, home, selected, what=None):
    """The error for computing with ``owner``'s state (on ``home``) under ``selected``."""
    kind = "Model" if hasattr(owner, "fit") else "Layer"
    what = what or "its weights are"
    return _backend.BackendError(
        f"{kind} {owner.name!r} ({type(owner).__name__}): {what} on backend {home!r}, but "
        f"backend {selected!r} is selected. Move the model to the selected backend with "
        f"`model.to_backend({selected!r})`, or select its backend again with "
        f"`brickwork.backend.set_backend({home!r})`.")


def check_model_backend(model):
    """Raise :func:`mixed_backend_error` unless all of ``model``'s state lives
    on the selected backend. Called once per fit/evaluate/predict/... call,
    so it reads what is cheap: each layer's record, and the arrays of the
    optimizer and metrics (which ``compile`` may have created while another
    backend was selected)."""
    selected = _backend.get_backend()
    if _backend.selected_backend_count() <= 1:
        return  # no other backend was ever selected: nothing can live on one
    for layer in model._flatten_layers():
        home = layer.__dict__.get("_weights_backend")
        if home is not None and home != selected.name:
            raise mixed_backend_error(model, home, selected.name,
                                      what=f"the weights of layer {layer.name!r} are")
    array_type = getattr(selected.xp, "ndarray", None)
    if not isinstance(array_type, type):
        return
    for variable in _trainer_variables(model):
        if not isinstance(variable._value, array_type):
            library = type(variable._value).__module__.split(".")[0]
            raise mixed_backend_error(
                model, library, selected.name,
                what=f"variable {variable.path!r} holds a {library} array, so its state is")


def _trainer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        yield from optimizer.variables
    for metric in model.metrics:
        yield from metric.variables
