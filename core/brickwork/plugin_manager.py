"""Discovers plugins through entry points and keeps a report of what loaded.

pluggy does discovery, registration and signature validation; the kernel
table (see ``backend.py``) then turns the registered hookimpls into plain
function references once per backend selection.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import warnings
from dataclasses import dataclass, field

import pluggy

from brickwork import hookspecs
from brickwork.plugin import ENTRY_POINT_GROUP, PROJECT_NAME, BackendInfo

#: Set to any non-empty value to load only brickwork's own entry points.
DISABLE_AUTOLOAD_ENV = "BRICKWORK_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated entry-point names never to load.
DISABLED_PLUGINS_ENV = "BRICKWORK_DISABLE_PLUGINS"
BUILTIN_DISTRIBUTION = "brickwork"


class BrickworkPluginWarning(UserWarning):
    """A plugin failed to load and was skipped."""


@dataclass
class PluginRecord:
    """What is known of one plugin: where it came from and how loading went."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    error: str | None = None
    backends: list[str] = field(default_factory=list)


def kernel_spec_names() -> list[str]:
    """Names of every kernel spec, in the order the hook specification lists them."""
    return [
        name for name, fn in vars(hookspecs).items()
        if hasattr(fn, f"{PROJECT_NAME}_spec") and not name.startswith(f"{PROJECT_NAME}_")
    ]


class PluginManager:
    def __init__(self):
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self.backends: dict[str, BackendInfo] = {}
        self.clashes: list[str] = []

    # -- discovery --------------------------------------------------------

    def load_entry_points(self) -> None:
        autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        disabled = {n.strip() for n in os.environ.get(DISABLED_PLUGINS_ENV, "").split(",") if n.strip()}
        seen = set()
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            if ep.name in seen or ep.name in disabled:
                continue
            if not autoload and dist_name != BUILTIN_DISTRIBUTION:
                continue
            seen.add(ep.name)
            record = PluginRecord(ep.name, dist_name, dist.version if dist else None, ep.value)
            self.records[ep.name] = record
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin never breaks import brickwork
                self._report_failure(record, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.register(plugin, ep.name, record)

    def register(self, plugin, name: str, record: PluginRecord | None = None) -> bool:
        """Register a plugin object; on failure report it and leave no trace."""
        record = record or self.records.setdefault(
            name, PluginRecord(name, None, None, getattr(plugin, "__name__", repr(plugin))))
        try:
            self.pm.register(plugin, name=name)
            unknown = [impl.name for impl in self.pm.get_hookcallers(plugin) or []
                       if impl.spec is None]
            if unknown:
                raise pluggy.PluginValidationError(plugin, f"unknown hook(s) {sorted(unknown)}")
            self._collect_backends(plugin, record)
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._report_failure(record, f"registration failed: {type(exc).__name__}: {exc}")
            return False
        return True

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        record = self.records.pop(name, None)
        for backend in record.backends if record else ():
            self.backends.pop(backend, None)

    def _collect_backends(self, plugin, record: PluginRecord) -> None:
        impl = getattr(plugin, "brickwork_backend", None)
        if impl is None:
            return
        info = impl()
        if not isinstance(info, BackendInfo):
            return
        if info.name in self.backends:
            self.clashes.append(
                f"backend {info.name!r} from plugin {record.name!r} ignored: "
                f"already supplied by an earlier plugin")
            return
        self.backends[info.name] = info
        record.backends.append(info.name)

    def _report_failure(self, record: PluginRecord, message: str) -> None:
        record.error = message
        origin = f" (distribution {record.distribution})" if record.distribution else ""
        warnings.warn(f"brickwork plugin {record.name!r}{origin} skipped: {message}",
                      BrickworkPluginWarning, stacklevel=3)

    # -- kernels ----------------------------------------------------------

    def ensure_kernel_modules(self, info: BackendInfo) -> None:
        """Import and register a backend's own kernel modules (once)."""
        for module_name in info.kernel_modules:
            if self.pm.has_plugin(module_name):
                continue
            module = importlib.import_module(module_name)
            self.pm.register(module, name=module_name)

    def resolve_kernels(self, info: BackendInfo) -> dict:
        """Map every kernel spec name to the function serving ``info.name``.

        Overrides from other plugins win over the backend's own modules; a
        spec nobody implements for this backend is absent from the result.
        """
        own = set(info.kernel_modules)
        table = {}
        for spec_name in kernel_spec_names():
            impls = getattr(self.pm.hook, spec_name).get_hookimpls()
            serving = [i for i in reversed(impls)  # pluggy's call order
                       if getattr(i.plugin, "BRICKWORK_BACKEND", None) == info.name]
            overrides = [i for i in serving if i.plugin_name not in own]
            chosen = (overrides or serving or [None])[0]
            if chosen is not None:
                table[spec_name] = chosen.function
        return table
