"""Kernel specs, and resolving a backend's hookimpls into a kernel table.

``brickwork.hookspecs`` is the contract: every spec there not starting with
``brickwork_`` is a kernel. When a backend is selected, :func:`resolve`
turns the registered hookimpls into one plain function per spec, so that a
kernel call costs one Python call (DESIGN.md, rule 3).
"""
from __future__ import annotations

import inspect

import pluggy

from brickwork import hookspecs
from brickwork.plugin import PROJECT_NAME, BackendInfo

SPEC_MARK = f"{PROJECT_NAME}_spec"
IMPL_MARK = f"{PROJECT_NAME}_impl"
#: Hooks whose names start with this register things; the others are kernels.
REGISTRATION_PREFIX = f"{PROJECT_NAME}_"


class BackendError(ValueError):
    """An unknown or unusable backend was requested, or a kernel is missing."""


BackendError.__module__ = "brickwork.backend"  # where users import it from


def spec_names_of(module) -> list[str]:
    """Names of the hook specs a module declares, in the order it lists them."""
    return [name for name, fn in vars(module).items() if hasattr(fn, SPEC_MARK)]


def kernel_spec_names() -> list[str]:
    """Names of every core kernel spec, in the order the hook specification lists them."""
    return [name for name in spec_names_of(hookspecs) if not name.startswith(REGISTRATION_PREFIX)]


def check_hooks_are_known(pm: pluggy.PluginManager, plugin, kernel_names) -> None:
    """Every hook ``plugin`` implements has a spec, and every kernel takes
    exactly its spec's parameters, in order, without defaults: kernels are
    called positionally, while pluggy accepts a subset in any order."""
    kernels = set(kernel_names)
    unknown, mismatched = [], []
    for caller in pm.get_hookcallers(plugin) or []:
        if caller.spec is None:
            unknown.append(caller.name)
        elif caller.name in kernels:
            impl = next(i for i in caller.get_hookimpls() if i.plugin is plugin)
            declared = declared_parameters(impl.function)
            expected = list(caller.spec.argnames)
            if declared != expected:
                mismatched.append(f"{caller.name}({', '.join(declared)}) does not match the "
                                  f"spec {caller.name}({', '.join(expected)})")
    if unknown:
        raise pluggy.PluginValidationError(plugin, f"unknown hook(s) {sorted(unknown)}")
    if mismatched:
        raise pluggy.PluginValidationError(
            plugin, "kernel signature(s) differ from the spec (implement exactly the "
                    "spec's parameters, in order, without defaults): " + "; ".join(mismatched))


def declared_parameters(function) -> list[str]:
    """``function``'s parameters as written, defaults and stars included, so
    that anything but plain positional names differs from a spec's."""
    described = []
    for parameter in inspect.signature(function).parameters.values():
        text = {parameter.VAR_POSITIONAL: "*", parameter.VAR_KEYWORD: "**"}.get(
            parameter.kind, "") + parameter.name
        if parameter.default is not parameter.empty:
            text += f"={parameter.default!r}"
        if parameter.kind is parameter.KEYWORD_ONLY:
            text += " (keyword-only)"
        described.append(text)
    return described


def resolve(pm: pluggy.PluginManager, info: BackendInfo, spec_owners: dict[str, str],
            modules_of, report_clash) -> dict:
    """Map every kernel spec name to the function serving ``info.name``.

    ``spec_owners`` maps each plugin-declared spec to its plugin's name,
    ``modules_of(plugin_name)`` gives the kernel modules a plugin registered,
    and ``report_clash(message)`` reports two overrides of one kernel.

    The base of a core spec is the backend's own kernel modules, the base
    of a plugin spec is the declaring plugin's modules; any other module
    serving the backend overrides the base. A core spec nobody implements
    for this backend is absent from the result; a plugin spec gets a
    function that raises a clear error when called.
    """
    table = {}
    for spec_name in [*kernel_spec_names(), *spec_owners]:
        owner = spec_owners.get(spec_name)
        base = set(info.kernel_modules) if owner is None else {owner, *modules_of(owner)}
        impls = getattr(pm.hook, spec_name).get_hookimpls()
        serving = [i for i in reversed(impls)  # pluggy's call order
                   if getattr(i.plugin, "BRICKWORK_BACKEND", None) == info.name]
        overrides = [i for i in serving if i.plugin_name not in base]
        if len(overrides) > 1:
            report_clash(f"kernel {spec_name!r} of backend {info.name!r} is overridden by "
                         f"{', '.join(i.plugin_name for i in overrides)}; "
                         f"{overrides[0].plugin_name!r} wins (pluggy call order)")
        chosen = (overrides or serving or [None])[0]
        if chosen is not None:
            table[spec_name] = chosen.function
        elif owner is not None:
            table[spec_name] = _missing_plugin_kernel(info.name, spec_name, owner)
    return table


def _missing_plugin_kernel(backend_name: str, spec_name: str, plugin_name: str):
    def missing(*args):
        raise BackendError(
            f"backend {backend_name!r} has no implementation of kernel {spec_name!r} "
            f"(declared by plugin {plugin_name!r}); run `python -m brickwork info`")
    missing.__name__ = spec_name
    return missing


def is_missing_plugin_kernel(function) -> bool:
    """Whether ``function`` is the placeholder :func:`resolve` gives a plugin
    spec that the backend does not implement."""
    return getattr(function, "__qualname__", "").startswith("_missing_plugin_kernel")
