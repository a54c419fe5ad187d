"""Moving a model between backends, and refusing to compute on mixed ones.

Keras has no such method (its backend is fixed per process); brickwork can
switch backends at run time, so ``Model.to_backend(name)`` selects the
backend globally and re-homes every piece of the model's state on it:

* variables: layer weights (trainable and not), the optimizer's (iterations,
  learning rate, slots, a LossScaleOptimizer's scale and its inner
  optimizer's), compiled metrics' and loss trackers'. They are found by the
  walk that saving uses (:mod:`brickwork.saving.state_walk`), so whatever
  a ``.keras`` file would hold is moved; each Variable keeps its identity
  (only its array changes), so references held by the optimizer or the
  trainer stay valid;
* random state: each ``SeedGenerator``'s stream continues on the new backend
  where the generator kinds allow it (NumPy-style generators carry their bit
  generator state), else it is re-seeded from the old stream, never restarted;
* bookkeeping: each layer's ``_weights_backend`` (what ``Layer.__call__``
  compares against the selected backend) names the new backend.

Every array is copied to the new backend before any is replaced, so a failed
copy (a full GPU) leaves the model as it was.
"""
from __future__ import annotations

import numpy as np

from brickwork import backend as _backend
from brickwork.backend_state import (check_model_backend,  # noqa: F401  (re-exported)
                                     mixed_backend_error)
from brickwork.random import SeedGenerator
from brickwork.saving.state_walk import is_saveable, walk_children
from brickwork.variables import Variable

__all__ = ["collect_state", "move_to_backend", "check_model_backend", "mixed_backend_error"]


# -- finding the state ----------------------------------------------------------


def collect_state(root):
    """``(variables, seed_generators, layers)`` reachable from ``root``, each once."""
    found = {"variables": {}, "seed_generators": {}, "layers": {}}
    # id -> object: holding the objects keeps the ids of temporaries (lists
    # built by properties such as ``metrics``) from being reused mid-walk.
    _visit(root, found, {})
    return (list(found["variables"].values()), list(found["seed_generators"].values()),
            list(found["layers"].values()))


def _visit(value, found, visited):
    if id(value) in visited:
        return
    if isinstance(value, Variable):
        found["variables"].setdefault(id(value), value)
    elif isinstance(value, SeedGenerator):
        found["seed_generators"].setdefault(id(value), value)
    elif is_saveable(value):
        visited[id(value)] = value
        if hasattr(value, "_weights_backend"):  # a Layer
            found["layers"].setdefault(id(value), value)
        for variable in getattr(value, "variables", ()) or ():
            _visit(variable, found, visited)
        for _, child in walk_children(value):
            _visit(child, found, visited)
    elif isinstance(value, (list, tuple, dict)):
        visited[id(value)] = value
        for item in list(value.values() if isinstance(value, dict) else value):
            _visit(item, found, visited)


# -- moving -----------------------------------------------------------------------


def move_to_backend(model, name):
    """Select backend ``name`` and move all of ``model``'s state onto it."""
    previous = _backend.get_backend().name
    variables, seed_generators, layers = collect_state(model)
    # Where the state lives now: the layers record it (the selected backend may
    # already be the target, when the user selected it before moving).
    home = next((layer.__dict__["_weights_backend"] for layer in layers
                 if layer.__dict__.get("_weights_backend") is not None), previous)
    target = _backend.set_backend(name)  # an unknown or unusable name fails here, unchanged
    try:
        staged = [variable._value_on(target.xp) for variable in variables]
    except BaseException:
        _backend.set_backend(previous)
        raise
    for variable, value in zip(variables, staged):
        variable._value = value  # the same Variable object: every reference stays valid
    for generator in seed_generators:
        _carry_random_stream(generator, home, target)
    for layer in layers:
        if layer.__dict__.get("_weights_backend") is not None:
            object.__setattr__(layer, "_weights_backend", target.name)
    return model


def _carry_random_stream(seed_generator, home, target):
    """Continue ``seed_generator``'s stream from backend ``home`` on ``target``
    (see the module doc); a generator never drawn from on ``home`` keeps
    whatever it has."""
    generators = seed_generator._generators
    source = generators.get(home)
    if source is None or home == target.name:
        return
    fresh = target.kernels.random_generator(seed_generator.seed)
    if isinstance(source, np.random.Generator) and isinstance(fresh, np.random.Generator):
        fresh.bit_generator.state = source.bit_generator.state
    else:  # different generator kinds: seed from the old stream rather than replay it
        fresh = target.kernels.random_generator(int(source.integers(0, 2**31 - 1)))
    generators[target.name] = fresh
