"""Discovers plugins through entry points and keeps a report of what loaded.

pluggy does discovery, registration and signature validation; the kernel
table (:mod:`brickwork.plugins.kernel_table`) then turns the registered
hookimpls into plain function references once per backend selection.

Discovery has no side effects (DESIGN.md, rule 7): loading an entry point
imports the plugin's module and asks it to describe itself; a backend
imports its array library and kernels, compiles and tunes the process only
when it is selected (``BackendInfo.activate``).

Rules that settle clashes between plugins (``docs/plugins.md``):

* Entry points load in a fixed order: brickwork's own first, then the others
  sorted by entry-point name.
* A backend name, a kernel spec name, a ``package>Name`` layer registration
  and a ``brickwork.layers.<Name>`` attribute each belong to the first plugin
  that claims it; core layers and core kernel specs always win. A later claim
  is reported (warning and ``python -m brickwork info``) and ignored.
* Two plugins overriding the same kernel of one backend: pluggy's call order
  picks the winner (``tryfirst``, then the plugin registered last); the clash
  is reported.

What a plugin registers beyond backends and kernels (layers, for one) is
taken by a *registration handler* that the owning part of brickwork adds with
:func:`add_registration_handler`, so that this module imports nothing above
the hook specification.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Callable

import pluggy

from brickwork import hookspecs
from brickwork.plugin import ENTRY_POINT_GROUP, PROJECT_NAME, BackendInfo
from brickwork.plugins import kernel_table
from brickwork.plugins.kernel_table import IMPL_MARK, REGISTRATION_PREFIX, spec_names_of

#: Set to any non-empty value to load only brickwork's own entry points.
DISABLE_AUTOLOAD_ENV = "BRICKWORK_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated entry-point (or distribution) names never to load.
DISABLED_PLUGINS_ENV = "BRICKWORK_DISABLE_PLUGINS"
BUILTIN_DISTRIBUTION = "brickwork"


class BrickworkPluginWarning(UserWarning):
    """A plugin failed to load or clashed with another plugin."""


@dataclass
class PluginRecord:
    """What is known of one plugin: where it came from and what it registered."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    error: str | None = None          # the whole plugin was skipped
    disabled: str | None = None       # why it was not loaded at all
    problems: list[str] = field(default_factory=list)   # parts that were skipped
    backends: list[str] = field(default_factory=list)
    kernel_specs: list[str] = field(default_factory=list)
    kernel_modules: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)      # "package>Name"
    owned_registrations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RegistrationHandler:
    """Takes what plugins register through one registration hook.

    collect(manager, hook_impl, record): register what the hook
        returns, noting it on the record; raise to have the whole plugin
        skipped (anything already noted is forgotten first).
    forget(manager, record): undo what ``collect`` registered for ``record``.
    """

    hook: str
    collect: Callable
    forget: Callable


_HANDLERS: dict[str, RegistrationHandler] = {}
_MANAGERS: weakref.WeakSet = weakref.WeakSet()


def add_registration_handler(hook: str, collect: Callable, forget: Callable) -> None:
    """Let ``collect`` take what plugins return from the registration hook
    ``hook`` (a ``brickwork_*`` spec of ``brickwork.hookspecs``). Plugins
    already registered are handed to it now, those registered later when
    they register."""
    if not hook.startswith(REGISTRATION_PREFIX) or not hasattr(getattr(hookspecs, hook, None),
                                                               kernel_table.SPEC_MARK):
        raise ValueError(f"{hook!r} is not a registration hook of brickwork.hookspecs")
    handler = _HANDLERS[hook] = RegistrationHandler(hook, collect, forget)
    for manager in list(_MANAGERS):
        manager._apply_late_handler(handler)


def _hook_impl(plugin, hook_name):
    """The plugin's implementation of a registration hook, or None."""
    fn = getattr(plugin, hook_name, None)
    return fn if callable(fn) and hasattr(fn, IMPL_MARK) else None


def _disabled_names() -> set[str]:
    return {n.strip() for n in os.environ.get(DISABLED_PLUGINS_ENV, "").split(",") if n.strip()}


class PluginManager:
    def __init__(self):
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.backends: dict[str, BackendInfo] = {}
        self.plugin_specs: dict[str, str] = {}       # spec name -> plugin name
        self.layers: dict[str, type] = {}            # brickwork.layers.<Name> -> class
        self.layer_owners: dict[str, str] = {}       # <Name> -> plugin name
        self.clashes: list[str] = []
        _MANAGERS.add(self)

    def kernel_spec_names(self) -> list[str]:
        """Core kernel specs, then the specs plugins added."""
        return kernel_table.kernel_spec_names() + list(self.plugin_specs)

    # -- discovery --------------------------------------------------------

    def load_entry_points(self) -> None:
        autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        disabled = _disabled_names()
        entries = []
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            entries.append((dist.metadata["Name"] if dist is not None else None,
                            dist.version if dist is not None else None, ep))
        entries.sort(key=lambda e: (e[0] != BUILTIN_DISTRIBUTION, e[2].name))
        for dist_name, version, ep in entries:
            known = self.records.get(ep.name)
            if known is not None:
                if known.distribution != dist_name:  # the same one twice on sys.path is fine
                    self._clash(f"entry point {ep.name!r} of {dist_name} ignored: the name "
                                f"is already taken by {known.distribution}")
                continue
            record = PluginRecord(ep.name, dist_name, version, ep.value)
            self.records[ep.name] = record
            if ep.name in disabled or dist_name in disabled:
                record.disabled = f"disabled by {DISABLED_PLUGINS_ENV}"
                continue
            if not autoload and dist_name != BUILTIN_DISTRIBUTION:
                record.disabled = f"disabled by {DISABLE_AUTOLOAD_ENV}"
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin never breaks import brickwork
                self._report_failure(record, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name, record)

    def register(self, plugin, name: str, record: PluginRecord | None = None) -> bool:
        """Register a plugin object; on failure report it and leave no trace."""
        if self.pm.has_plugin(name) or self.pm.is_registered(plugin):
            duplicate = PluginRecord(name, None, None, getattr(plugin, "__name__", repr(plugin)))
            self._report_failure(duplicate, "a plugin of that name, or this very plugin, "
                                            "is already registered")
            return False
        record = record or self.records.setdefault(
            name, PluginRecord(name, None, None, getattr(plugin, "__name__", repr(plugin))))
        record.error = None
        try:
            self._add_kernel_specs(plugin, record)
            self.pm.register(plugin, name=name)
            kernel_table.check_hooks_are_known(self.pm, plugin, self.kernel_spec_names())
            self._collect_backend(plugin, record)
            for handler in list(_HANDLERS.values()):
                self._hand_over(handler, plugin, record)
        except Exception as exc:
            self._forget(plugin, record)
            self._report_failure(record, f"registration failed: {type(exc).__name__}: {exc}")
            return False
        return True

    def unregister(self, name: str) -> None:
        """Remove a plugin and everything it registered (call ``backend.refresh()`` after)."""
        record = self.records.pop(name, None)
        plugin = self.pm.get_plugin(name)
        if record is not None:
            self._forget(plugin, record)
        elif plugin is not None:
            self.pm.unregister(plugin)

    # -- what a plugin registers --------------------------------------------

    def _add_kernel_specs(self, plugin, record: PluginRecord) -> None:
        impl = _hook_impl(plugin, "brickwork_kernel_specs")
        if impl is None:
            return
        modules = [importlib.import_module(m) if isinstance(m, str) else m for m in impl() or ()]
        core = set(spec_names_of(hookspecs))
        new = []
        for module in modules:
            names = spec_names_of(module)
            if not names:
                raise ValueError(f"module {getattr(module, '__name__', module)!r} named by "
                                 f"brickwork_kernel_specs declares no hook specs")
            for spec in names:
                if spec.startswith(REGISTRATION_PREFIX):
                    raise ValueError(f"kernel spec {spec!r}: names starting with "
                                     f"{REGISTRATION_PREFIX!r} are reserved for brickwork")
                if spec in core:
                    raise ValueError(f"kernel spec {spec!r} would shadow the core spec of that name")
                owner = self.plugin_specs.get(spec)
                if owner is not None or spec in new:
                    raise ValueError(f"kernel spec {spec!r} is already declared by plugin "
                                     f"{owner or record.name!r}")
                new.append(spec)
        for module in modules:
            self.pm.add_hookspecs(module)
        for spec in new:
            self.plugin_specs[spec] = record.name
            record.kernel_specs.append(spec)

    def _collect_backend(self, plugin, record: PluginRecord) -> None:
        impl = _hook_impl(plugin, "brickwork_backend")
        info = impl() if impl is not None else None
        if info is None:
            return
        if not isinstance(info, BackendInfo):
            raise TypeError(f"brickwork_backend returned {type(info).__name__}, not a BackendInfo")
        if info.name in self.backends:
            owner = next((r.name for r in self.records.values() if info.name in r.backends), "?")
            self._clash(f"backend {info.name!r} from plugin {record.name!r} ignored: "
                        f"already supplied by plugin {owner!r}")
            return
        self.backends[info.name] = info
        record.backends.append(info.name)

    def _hand_over(self, handler: RegistrationHandler, plugin, record: PluginRecord) -> None:
        impl = _hook_impl(plugin, handler.hook)
        if impl is not None:
            handler.collect(self, impl, record)

    def _apply_late_handler(self, handler: RegistrationHandler) -> None:
        """Hand the plugins registered before ``handler`` was added to it."""
        for record in list(self.records.values()):
            plugin = self.pm.get_plugin(record.name)
            if plugin is None or record.error:
                continue
            try:
                self._hand_over(handler, plugin, record)
            except Exception as exc:
                self._forget(plugin, record)
                self._report_failure(record, f"registration failed: {type(exc).__name__}: {exc}")

    def _forget(self, plugin, record: PluginRecord) -> None:
        """Undo everything ``record`` registered."""
        for module_name in record.kernel_modules:
            module = self.pm.get_plugin(module_name)
            if module is not None:
                self.pm.unregister(module)
        if plugin is not None and self.pm.is_registered(plugin):
            self.pm.unregister(plugin)
        for spec in record.kernel_specs:
            self.plugin_specs.pop(spec, None)
            caller = getattr(self.pm.hook, spec, None)
            if caller is not None and not caller.get_hookimpls():
                delattr(self.pm.hook, spec)
        for name in record.backends:
            self.backends.pop(name, None)
        for handler in list(_HANDLERS.values()):
            handler.forget(self, record)
        for items in (record.kernel_modules, record.kernel_specs, record.backends,
                      record.layers, record.owned_registrations):
            items.clear()

    def _report_failure(self, record: PluginRecord, message: str) -> None:
        message = _one_line(message)
        record.error = message
        warnings.warn(f"brickwork plugin {record.name!r}{_origin(record)} skipped: {message}",
                      BrickworkPluginWarning, stacklevel=3)

    def _report_problem(self, record: PluginRecord, message: str) -> None:
        message = _one_line(message)
        record.problems.append(message)
        warnings.warn(f"brickwork plugin {record.name!r}{_origin(record)}: {message}",
                      BrickworkPluginWarning, stacklevel=3)

    def _clash(self, message: str) -> None:
        if message not in self.clashes:
            self.clashes.append(message)
            warnings.warn(f"brickwork plugin clash: {message}", BrickworkPluginWarning, stacklevel=3)

    # -- kernels ----------------------------------------------------------

    def ensure_kernel_modules(self, info: BackendInfo) -> None:
        """Import and register a backend's own kernel modules, and the kernel
        modules plugins name for it (each once)."""
        for module_name in info.kernel_modules:
            if self.pm.has_plugin(module_name):
                continue
            module = importlib.import_module(module_name)
            self.pm.register(module, name=module_name)
        for record in list(self.records.values()):
            impl = _hook_impl(self.pm.get_plugin(record.name), "brickwork_kernel_modules")
            if impl is not None:
                self._register_plugin_kernel_modules(record, impl, info.name)

    def _register_plugin_kernel_modules(self, record: PluginRecord, impl, backend_name: str) -> None:
        try:
            module_names = list(impl(backend_name) or ())
        except Exception as exc:
            self._report_problem(record, f"brickwork_kernel_modules({backend_name!r}) raised "
                                         f"{type(exc).__name__}: {exc}")
            return
        for module_name in module_names:
            if self.pm.has_plugin(module_name):
                continue
            module = None
            try:
                module = importlib.import_module(module_name)
                serves = getattr(module, "BRICKWORK_BACKEND", None)
                if serves != backend_name:
                    raise ValueError(f"its BRICKWORK_BACKEND is {serves!r}, not {backend_name!r}")
                self.pm.register(module, name=module_name)
                kernel_table.check_hooks_are_known(self.pm, module, self.kernel_spec_names())
            except Exception as exc:  # the plugin's kernels stay missing on this backend
                if module is not None and self.pm.is_registered(module):
                    self.pm.unregister(module)
                self._report_problem(record, f"kernel module {module_name!r} skipped: "
                                             f"{type(exc).__name__}: {exc}")
                continue
            record.kernel_modules.append(module_name)

    def resolve_kernels(self, info: BackendInfo) -> dict:
        """Map every kernel spec name to the function serving ``info.name``
        (:func:`brickwork.plugins.kernel_table.resolve`)."""
        def modules_of(plugin_name):
            record = self.records.get(plugin_name)
            return record.kernel_modules if record else ()
        return kernel_table.resolve(self.pm, info, self.plugin_specs, modules_of, self._clash)

    def overrides_of(self, record: PluginRecord) -> list[str]:
        """``"backend: kernel"`` for each kernel of another's spec this plugin serves."""
        found = []
        for module_name in [record.name, *record.kernel_modules]:
            module = self.pm.get_plugin(module_name)
            serves = getattr(module, "BRICKWORK_BACKEND", None)
            if module is None or serves is None:
                continue
            for caller in self.pm.get_hookcallers(module) or []:
                if caller.name not in record.kernel_specs and not caller.name.startswith(
                        REGISTRATION_PREFIX):
                    found.append(f"{serves}: {caller.name}")
        return sorted(set(found))


def _one_line(message: str) -> str:
    """pluggy's validation messages span lines; reports keep one line per plugin."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def _origin(record: PluginRecord) -> str:
    return f" (distribution {record.distribution})" if record.distribution else ""
