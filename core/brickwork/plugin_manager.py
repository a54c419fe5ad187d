"""Discovers plugins through entry points and keeps a report of what loaded.

pluggy does discovery, registration and signature validation; the kernel
table (see ``backend.py``) then turns the registered hookimpls into plain
function references once per backend selection.

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
"""
from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import os
import sys
import warnings
from dataclasses import dataclass, field

import pluggy

from brickwork import hookspecs
from brickwork.plugin import ENTRY_POINT_GROUP, PROJECT_NAME, BackendInfo

#: Set to any non-empty value to load only brickwork's own entry points.
DISABLE_AUTOLOAD_ENV = "BRICKWORK_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated entry-point (or distribution) names never to load.
DISABLED_PLUGINS_ENV = "BRICKWORK_DISABLE_PLUGINS"
BUILTIN_DISTRIBUTION = "brickwork"
_SPEC_MARK = f"{PROJECT_NAME}_spec"
_IMPL_MARK = f"{PROJECT_NAME}_impl"
_REGISTRATION_PREFIX = f"{PROJECT_NAME}_"


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


def spec_names_of(module) -> list[str]:
    """Names of the hook specs a module declares, in the order it lists them."""
    return [name for name, fn in vars(module).items() if hasattr(fn, _SPEC_MARK)]


def kernel_spec_names() -> list[str]:
    """Names of every core kernel spec, in the order the hook specification lists them."""
    return [name for name in spec_names_of(hookspecs) if not name.startswith(_REGISTRATION_PREFIX)]


def _hook_impl(plugin, hook_name):
    """The plugin's implementation of a registration hook, or None."""
    fn = getattr(plugin, hook_name, None)
    return fn if callable(fn) and hasattr(fn, _IMPL_MARK) else None


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

    def kernel_spec_names(self) -> list[str]:
        """Core kernel specs, then the specs plugins added."""
        return kernel_spec_names() + list(self.plugin_specs)

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
            self._check_hooks_are_known(plugin)
            self._collect_backend(plugin, record)
            self._collect_layers(plugin, record)
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
                if spec.startswith(_REGISTRATION_PREFIX):
                    raise ValueError(f"kernel spec {spec!r}: names starting with "
                                     f"{_REGISTRATION_PREFIX!r} are reserved for brickwork")
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

    def _check_hooks_are_known(self, plugin) -> None:
        """Every hook the plugin implements has a spec, and every kernel takes
        exactly its spec's parameters, in order, without defaults: kernels are
        called positionally, while pluggy accepts a subset in any order."""
        kernels = set(self.kernel_spec_names())
        unknown, mismatched = [], []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.spec is None:
                unknown.append(caller.name)
            elif caller.name in kernels:
                impl = next(i for i in caller.get_hookimpls() if i.plugin is plugin)
                declared = _declared_parameters(impl.function)
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

    def _collect_layers(self, plugin, record: PluginRecord) -> None:
        impl = _hook_impl(plugin, "brickwork_layers")
        if impl is None:
            return
        from brickwork import layers as core_layers
        from brickwork.layers.layer import Layer
        from brickwork.saving import object_registration as registry

        classes = list(impl() or ())
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Layer)):
                raise TypeError(f"brickwork_layers returned {cls!r}, not a brickwork Layer subclass")
        for cls in classes:
            registered = registry.GLOBAL_CUSTOM_NAMES.get(cls)
            if registered is None:
                registered = f"{cls.__module__.split('.')[0]}>{cls.__name__}"
            holder = registry.GLOBAL_CUSTOM_OBJECTS.get(registered)
            if holder is not None and holder is not cls:
                self._clash(f"layer {registered!r} from plugin {record.name!r} ignored: the name "
                            f"is already registered to {holder.__module__}.{holder.__qualname__}")
                continue
            if holder is None:
                package, _, short = registered.partition(">")
                registry.register_keras_serializable(package, short)(cls)
                record.owned_registrations.append(registered)
            record.layers.append(registered)
            self._claim_layer_attribute(cls, record, vars(core_layers))

    def _claim_layer_attribute(self, cls, record: PluginRecord, core_namespace: dict) -> None:
        """Make ``cls`` reachable as ``brickwork.layers.<Name>`` unless taken."""
        short = cls.__name__
        if short in core_namespace:
            self._clash(f"layer {short!r} from plugin {record.name!r}: brickwork.layers.{short} "
                        f"stays the core layer; load the plugin's one by its registered name")
        elif self.layers.get(short, cls) is not cls:
            self._clash(f"layer {short!r} from plugin {record.name!r}: brickwork.layers.{short} "
                        f"stays the one of plugin {self.layer_owners[short]!r}")
        elif short not in self.layers:
            self.layers[short] = cls
            self.layer_owners[short] = record.name

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
        from brickwork.saving import object_registration as registry
        for registered in record.owned_registrations:
            cls = registry.GLOBAL_CUSTOM_OBJECTS.pop(registered, None)
            registry.GLOBAL_CUSTOM_NAMES.pop(cls, None)
        for short in [s for s, owner in self.layer_owners.items() if owner == record.name]:
            del self.layers[short], self.layer_owners[short]
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
                self._check_hooks_are_known(module)
            except Exception as exc:  # the plugin's kernels stay missing on this backend
                if module is not None and self.pm.is_registered(module):
                    self.pm.unregister(module)
                self._report_problem(record, f"kernel module {module_name!r} skipped: "
                                             f"{type(exc).__name__}: {exc}")
                continue
            record.kernel_modules.append(module_name)

    def resolve_kernels(self, info: BackendInfo) -> dict:
        """Map every kernel spec name to the function serving ``info.name``.

        The base of a core spec is the backend's own kernel modules, the base
        of a plugin spec is the declaring plugin's modules; any other module
        serving the backend overrides the base. A core spec nobody implements
        for this backend is absent from the result; a plugin spec gets a
        function that raises a clear error when called.
        """
        table = {}
        for spec_name in self.kernel_spec_names():
            base = self._base_modules(spec_name, info)
            impls = getattr(self.pm.hook, spec_name).get_hookimpls()
            serving = [i for i in reversed(impls)  # pluggy's call order
                       if getattr(i.plugin, "BRICKWORK_BACKEND", None) == info.name]
            overrides = [i for i in serving if i.plugin_name not in base]
            if len(overrides) > 1:
                self._clash(f"kernel {spec_name!r} of backend {info.name!r} is overridden by "
                            f"{', '.join(i.plugin_name for i in overrides)}; "
                            f"{overrides[0].plugin_name!r} wins (pluggy call order)")
            chosen = (overrides or serving or [None])[0]
            if chosen is not None:
                table[spec_name] = chosen.function
            elif spec_name in self.plugin_specs:
                table[spec_name] = _missing_plugin_kernel(info.name, spec_name,
                                                          self.plugin_specs[spec_name])
        return table

    def _base_modules(self, spec_name: str, info: BackendInfo) -> set[str]:
        owner = self.plugin_specs.get(spec_name)
        if owner is None:
            return set(info.kernel_modules)
        record = self.records.get(owner)
        return {owner, *(record.kernel_modules if record else ())}

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
                        _REGISTRATION_PREFIX):
                    found.append(f"{serves}: {caller.name}")
        return sorted(set(found))


def _declared_parameters(function) -> list[str]:
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


def _one_line(message: str) -> str:
    """pluggy's validation messages span lines; reports keep one line per plugin."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())


def _origin(record: PluginRecord) -> str:
    return f" (distribution {record.distribution})" if record.distribution else ""


def _missing_plugin_kernel(backend_name: str, spec_name: str, plugin_name: str):
    def missing(*args):
        from brickwork.backend import BackendError
        raise BackendError(
            f"backend {backend_name!r} has no implementation of kernel {spec_name!r} "
            f"(declared by plugin {plugin_name!r}); run `python -m brickwork info`")
    missing.__name__ = spec_name
    return missing


def plugin_layer(name: str):
    """``brickwork.layers.__getattr__``: a layer class some plugin added.

    Only CamelCase names are looked up (submodule imports also ask the
    package for attributes), and never while brickwork itself is importing.
    """
    package_spec = getattr(sys.modules.get("brickwork"), "__spec__", None)
    if name[:1].isupper() and not getattr(package_spec, "_initializing", False):
        from brickwork import backend
        cls = backend.plugin_manager().layers.get(name)  # loads the plugins on first use
        if cls is not None:
            return cls
    raise AttributeError(f"module 'brickwork.layers' has no attribute {name!r}")


def ensure_plugins_loaded() -> bool:
    """Load the installed plugins unless that already happened; True if it happened now.

    Deserialization calls this before giving up on a class name, because
    plugin layers register themselves when the plugins load.
    """
    from brickwork import backend
    if backend._registry._manager is not None:
        return False
    backend.plugin_manager()
    return True
