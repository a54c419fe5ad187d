"""``python -m brickwork info``: version, backends, kernel coverage, plugins."""
from __future__ import annotations

import brickwork
from brickwork import backend
from brickwork.plugin_manager import kernel_spec_names


def report() -> str:
    manager = backend.plugin_manager()
    specs = kernel_spec_names()
    lines = [f"brickwork {brickwork.__version__}", "", "backends:"]
    for status in backend.list_backends():
        state = f"usable on {status.device}" if status.usable else f"unusable: {status.reason}"
        covered = len(specs) - len(status.missing_kernels) if status.usable else "?"
        lines.append(f"  {status.name:<10} {state}; kernels {covered}/{len(specs)}")
        if status.missing_kernels:
            lines.append(f"             missing: {', '.join(status.missing_kernels)}")
    lines += ["", "plugins:"]
    for record in manager.records.values():
        origin = f"{record.distribution} {record.version}" if record.distribution else "(registered)"
        provides = f"backends {', '.join(record.backends)}" if record.backends else "hooks"
        status = f"FAILED: {record.error}" if record.error else provides
        lines.append(f"  {record.name:<10} {origin:<22} {record.module}: {status}")
    for clash in manager.clashes:
        lines.append(f"  clash: {clash}")
    return "\n".join(lines)
