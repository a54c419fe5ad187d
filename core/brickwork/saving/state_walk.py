"""Where each object's variables live in a weights file: Keras 3's walk.

Starting at the model (path ``""``), every saveable object (a Layer,
Optimizer, Metric or Loss) that has ``save_own_variables`` writes its own
variables at its path; then its children are visited:

* a Sequential or functional model first yields ``("layers", model.layers)``;
* then every attribute in ``sorted(dir(obj))`` (private ``_x`` names last),
  except those a fresh object of the same base kind already has;
* a saveable attribute ``attr`` lives at ``<path>/attr``; a list, tuple or
  dict attribute is a container whose saveables are named by their snake-case
  class name with a per-container counter (``dense``, ``dense_1``, ...) and
  whose nested containers are ``container``, ``container_1``, ...;
* an object reached a second time (a shared layer) is skipped.

So a new layer saves and loads with no code of its own: its variables in
creation order (trainable, then non-trainable), its sub-layers under the
attribute names Keras uses (``cell``, ``forward_layer``, ``layer``, ...).
"""
from __future__ import annotations

from brickwork.naming import to_snake_case
from brickwork.saving.errors import LoadLimitError

#: brickwork-internal attributes of the model containers that hold nothing
#: Keras would save (Sequential's InputLayer is not among Keras' layers).
_CONTAINER_INTERNALS = {
    "Sequential": {"_input_layer", "_stack", "inputs", "outputs"},
    "Functional": {"_functional_layers", "_nodes", "inputs", "outputs", "_inputs_struct",
                   "_outputs_struct"},
}
_skipsets: dict[str, frozenset] = {}


def _base_kinds():
    from brickwork.layers.layer import Layer
    from brickwork.losses import Loss
    from brickwork.metrics.metric import Metric
    from brickwork.optimizers.base_optimizer import Optimizer
    return Layer, Optimizer, Metric, Loss


def is_saveable(obj) -> bool:
    return isinstance(obj, _base_kinds())


def _obj_type(obj) -> str:
    from brickwork.models.functional import Functional
    from brickwork.models.sequential import Sequential
    if isinstance(obj, Sequential):
        return "Sequential"
    if isinstance(obj, Functional):
        return "Functional"
    layer, optimizer, metric, loss = _base_kinds()
    for kind, name in ((layer, "Layer"), (optimizer, "Optimizer"), (metric, "Metric"),
                       (loss, "Loss")):
        if isinstance(obj, kind):
            return name
    raise TypeError(f"{obj!r} is not a saveable object")


def _skipset(obj_type: str) -> frozenset:
    """Attribute names a fresh object of the base kind has (never saved children)."""
    if obj_type not in _skipsets:
        layer, optimizer, metric, loss = _base_kinds()
        reference = {
            "Optimizer": lambda: optimizer(1.0, name="reference"),
            "Metric": lambda: metric(name="reference"),
            "Loss": lambda: loss(name="reference"),
        }.get(obj_type, lambda: layer(name="reference"))()
        names = set(dir(reference)) | _CONTAINER_INTERNALS.get(obj_type, set())
        if obj_type == "Optimizer":
            names.discard("variables")
        _skipsets[obj_type] = frozenset(names)
    return _skipsets[obj_type]


def _name_key(name):
    return f"~{name}" if name.startswith("_") else name


def walk_children(obj):
    """``(attribute name, value)`` pairs of ``obj`` in Keras' visiting order."""
    obj_type = _obj_type(obj)
    skip = _skipset(obj_type)
    if obj_type in ("Sequential", "Functional"):
        yield "layers", obj.layers
    for attr in sorted(dir(obj), key=_name_key):
        if attr.startswith("__") or attr in skip:
            continue
        try:
            value = getattr(obj, attr)
        except Exception:  # a property that cannot answer holds nothing to save
            continue
        yield attr, value


def _join(path, name):
    return f"{path}/{name}" if path else name


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _container_items(container, visited_containers):
    """``(relative name, item)`` for a list/tuple/dict, named as Keras does.

    ``visited_containers`` maps ids to the containers themselves: a property
    (``layers``, ``metrics``) builds a new list on every access, and once
    such a list is freed a later one may get its id; holding them keeps
    every id unique for the whole walk."""
    if id(container) in visited_containers:
        return
    visited_containers[id(container)] = container
    used = {}
    for item in (container.values() if isinstance(container, dict) else container):
        if is_saveable(item):
            yield _unique(to_snake_case(type(item).__name__), used), item
        elif isinstance(item, (list, tuple, dict)):
            yield _unique("container", used), item


# -- saving -------------------------------------------------------------------------


def save_state(obj, store, path="", visited=None, visited_containers=None):
    """Write ``obj``'s variables and those of everything under it to ``store``."""
    visited = set() if visited is None else visited
    visited_containers = {} if visited_containers is None else visited_containers
    if id(obj) in visited:
        return
    if hasattr(obj, "save_own_variables"):
        name = getattr(obj, "name", None)
        obj.save_own_variables(store.make(path, {"name": name} if isinstance(name, str)
                                          else None))
    visited.add(id(obj))
    for attr, value in walk_children(obj):
        _save_child(value, store, _join(path, attr), visited, visited_containers)


def _save_child(value, store, path, visited, visited_containers):
    if is_saveable(value):
        save_state(value, store, path, visited, visited_containers)
    elif isinstance(value, (list, tuple, dict)):
        for name, item in list(_container_items(value, visited_containers)):
            _save_child(item, store, _join(path, name), visited, visited_containers)


# -- loading ------------------------------------------------------------------------


class LoadReport:
    """What went wrong while loading, per object, to report at the end."""

    def __init__(self):
        self.errors = []  # (object, path, exception)

    def record(self, obj, path, exc):
        self.errors.append((obj, path, exc))

    def message(self):
        lines = [f"{len(self.errors)} object(s) could not be loaded:"]
        for obj, path, exc in self.errors:
            where = f"'{path}'" if path else "the model root"
            lines.append(f"  {type(obj).__name__} {getattr(obj, 'name', '')!r} at {where}: "
                         f"{exc}")
        return "\n".join(lines)


def load_state(obj, store, path="", report=None, visited=None, visited_containers=None):
    """Read ``obj``'s variables and those of everything under it from ``store``;
    per-object failures go to ``report`` and loading carries on."""
    visited = set() if visited is None else visited
    visited_containers = {} if visited_containers is None else visited_containers
    if id(obj) in visited:
        return
    if hasattr(obj, "load_own_variables"):
        try:
            obj.load_own_variables(store.get(path))
        except LoadLimitError:
            raise  # a refusal to allocate stops the load; it is not a mismatch
        except Exception as exc:  # reported together at the end
            report.record(obj, path, exc)
    visited.add(id(obj))
    for attr, value in walk_children(obj):
        _load_child(value, store, _join(path, attr), report, visited, visited_containers)


def _load_child(value, store, path, report, visited, visited_containers):
    if is_saveable(value):
        load_state(value, store, path, report, visited, visited_containers)
    elif isinstance(value, (list, tuple, dict)):
        for name, item in list(_container_items(value, visited_containers)):
            _load_child(item, store, _join(path, name), report, visited, visited_containers)

