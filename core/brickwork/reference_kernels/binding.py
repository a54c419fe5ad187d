"""``bind``: a backend's copy of a reference kernel module, over its own arrays.

A reference module is any module with a module-level ``xp``, the array
namespace (NumPy's or CuPy's API) it is written against; it reaches other
reference modules only as modules (``from . import activations``, then
``activations.apply_activation``). brickwork's are in this package; a
plugin writes its own the same way and binds them with the same function.
:func:`bind` makes each of its functions and classes anew with the calling
backend module's ``globals()`` as their globals, and puts them there: the
same code objects, no copy of the source, but every name they look up
(``xp``, a sibling module, a helper) now resolves in the backend module.
So whatever the backend module defines or imports *after* ``bind`` replaces
the reference's version for every kernel of that module, which is how a
backend overrides only what it does faster.

The bound functions are plain functions named after the backend module
(``__module__``), so the kernel table still holds one plain function per
kernel (DESIGN.md, rule 3) and a kernel call costs one Python call.
"""
from __future__ import annotations

import builtins
import sys
import types


def bind(reference: types.ModuleType, namespace: dict, *, xp, **modules) -> types.SimpleNamespace:
    """Put ``reference``'s functions and classes into ``namespace`` (a backend
    module's ``globals()``), computing with the array namespace ``xp``.

    ``modules`` names the backend's own module for each other reference
    module that ``reference`` imports (``activations=<backend module>``);
    every one must be given, so no kernel falls back to another backend's
    arrays unnoticed. A name ``namespace`` already holds with another value
    is refused: define overrides after ``bind``.

    Returns the bound reference functions and classes by name, for
    overrides that fall back to them (``reference.lstm_forward(...)``).
    """
    if not _is_reference(reference):
        raise TypeError(f"bind: {reference.__name__} is not a reference module (it has no "
                        f"module-level xp)")
    siblings = {name for name, value in vars(reference).items()
                if isinstance(value, types.ModuleType) and _is_reference(value)}
    if siblings != set(modules):
        raise TypeError(f"bind({reference.__name__}) needs the backend's module for each "
                        f"reference module it uses: {sorted(siblings)}; given {sorted(modules)}")
    namespace.setdefault("__builtins__", builtins)  # a module made by hand lacks it
    bound = {}
    for name, value in vars(reference).items():
        if name.startswith("__"):
            continue
        if name == "xp":
            value = xp
        elif name in modules:
            value = modules[name]
        elif _defined_in(value, reference):
            value = bound[name] = _rebound(value, namespace)
        elif callable(value) and _is_reference(sys.modules.get(getattr(value, "__module__", ""))):
            raise TypeError(f"bind({reference.__name__}): {name} comes from "
                            f"{value.__module__}; import the module, not the name, so the "
                            f"backend's version is used")
        if name in namespace and namespace[name] is not value:
            raise ValueError(f"bind({reference.__name__}): {namespace['__name__']} already defines "
                             f"{name}; define overrides after bind()")
        namespace[name] = value
    return types.SimpleNamespace(**bound)


def _is_reference(module) -> bool:
    return isinstance(module, types.ModuleType) and "xp" in vars(module)


def _defined_in(value, module) -> bool:
    return (isinstance(value, (types.FunctionType, type))
            and getattr(value, "__module__", None) == module.__name__)


def _rebound(value, namespace):
    if isinstance(value, type):
        return _rebound_class(value, namespace)
    return _rebound_function(value, namespace)


def _rebound_function(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    if "__class__" in function.__code__.co_freevars:
        raise TypeError(f"bind: {function.__qualname__} uses super() without arguments, "
                        f"which would stay tied to the reference class")
    copy = types.FunctionType(function.__code__, namespace, function.__name__,
                              function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__dict__.update(function.__dict__)  # the hookimpl marker
    copy.__qualname__ = function.__qualname__
    copy.__doc__ = function.__doc__
    copy.__annotations__ = dict(function.__annotations__)
    copy.__module__ = namespace["__name__"]
    return copy


def _rebound_class(cls: type, namespace: dict) -> type:
    members = {}
    for name, value in vars(cls).items():
        if name in ("__dict__", "__weakref__"):
            continue
        if isinstance(value, types.FunctionType):
            value = _rebound_function(value, namespace)
        elif isinstance(value, (staticmethod, classmethod)):
            value = type(value)(_rebound_function(value.__func__, namespace))
        members[name] = value
    members["__module__"] = namespace["__name__"]
    return type(cls)(cls.__name__, cls.__bases__, members)
