"""``python -m brickwork info``: version, backends, kernel coverage, plugins."""
from __future__ import annotations

import brickwork
from brickwork import backend
from brickwork.plugins.kernel_table import is_missing_plugin_kernel


def report() -> str:
    manager = backend.plugin_manager()
    specs = manager.kernel_spec_names()
    lines = [f"brickwork {brickwork.__version__}", "", _selected_line(), "", "backends:"]
    for status in backend.list_backends():
        if not status.usable:
            lines.append(f"  {status.name:<10} unusable: {status.reason}")
            continue
        missing = [*status.missing_kernels, *_missing_plugin_kernels(status.name)]
        lines.append(f"  {status.name:<10} usable on {status.device}; kernels "
                     f"{len(specs) - len(missing)}/{len(specs)} "
                     f"({len(manager.plugin_specs)} specs from plugins)")
        if status.details:
            lines.append(f"             {status.details}")
        if missing:
            lines.append(f"             missing: {', '.join(missing)}")
    lines += ["", "plugins:"]
    for record in manager.records.values():
        origin = f"{record.distribution} {record.version}" if record.distribution else "(in-process)"
        if record.disabled:
            details = [f"disabled ({record.disabled})"]
        elif record.error:
            details = [f"FAILED: {record.error}"]
        else:
            details = _registrations(manager, record)
        details += [f"problem: {problem}" for problem in record.problems]
        lines.append(f"  {record.name:<10} {origin:<22} {record.module}: {details[0]}")
        lines += [f"             {line}" for line in details[1:]]
    if manager.clashes:
        lines += ["", "clashes (settled as docs/plugins.md describes):"]
        lines += [f"  {clash}" for clash in manager.clashes]
    return "\n".join(lines)


def _selected_line() -> str:
    try:
        name = backend.get_backend().name
    except backend.BackendError as exc:
        return f"selected backend: none ({exc})"
    return f"selected backend: {name}, by {backend.selection_reason()}"


def _registrations(manager, record) -> list[str]:
    # Data adapters are kept on the manager by their registration handler
    # (trainers/data_adapters/registry.py); read here without importing it.
    adapters = [cls.__qualname__ for cls in
                manager.__dict__.get("data_adapters", {}).get(record.name, [])]
    found = [("backends", record.backends), ("layers", record.layers),
             ("kernel specs", record.kernel_specs), ("kernel modules", record.kernel_modules),
             ("overrides", manager.overrides_of(record)), ("data adapters", adapters)]
    lines = [f"{what} {', '.join(items)}" for what, items in found if items]
    return lines or ["registers nothing"]


def _missing_plugin_kernels(backend_name) -> list[str]:
    """Plugin specs the backend's table serves with the 'missing' placeholder
    (read from its loaded table: describing a backend does not select it)."""
    table = backend._registry.load(backend_name).kernels
    return [name for name in backend.plugin_manager().plugin_specs
            if is_missing_plugin_kernel(getattr(table, name, None))]
