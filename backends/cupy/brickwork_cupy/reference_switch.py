"""``BRICKWORK_CUPY_REFERENCE``: run the reference kernels instead of the
fused CUDA kernels that replace them on the GPU.

The CuPy backend binds every reference kernel (``brickwork.reference_kernels``)
to CuPy and, per family, replaces some with fused CUDA kernels
(``brickwork_cupy.cuda.fused_*``). Where a fused kernel misbehaves on some
GPU, driver or input, a user falls back to the reference, family by family::

    BRICKWORK_CUPY_REFERENCE=1                      # every family
    BRICKWORK_CUPY_REFERENCE=activations,losses     # only these

Unset, empty or ``0``: every fused kernel is used. The variable is read when
the backend is first selected (its kernel modules are imported then), so set
it before that; ``python -m brickwork info`` shows what is in effect. This
module imports neither CuPy nor a kernel (listing backends reads it).
"""
from __future__ import annotations

import os

ENV_VARIABLE = "BRICKWORK_CUPY_REFERENCE"

#: The kernel families that have fused CUDA replacements.
FUSED_FAMILIES = ("activations", "losses", "optimizers")

_ALL = ("1", "true", "yes", "on", "all")
_NONE = ("", "0", "false", "no", "off")


def reference_families(value: str | None = None) -> frozenset[str]:
    """The families that run the reference kernels, from ``value`` (by
    default the environment variable); ValueError for an unknown family."""
    if value is None:
        value = os.environ.get(ENV_VARIABLE, "")
    text = value.strip().lower()
    if text in _NONE:
        return frozenset()
    if text in _ALL:
        return frozenset(FUSED_FAMILIES)
    names = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(FUSED_FAMILIES))
    if unknown:
        raise ValueError(f"{ENV_VARIABLE}={value!r}: unknown kernel famil"
                         f"{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; use 1 "
                         f"(all), 0 (none) or a comma-separated list of "
                         f"{', '.join(FUSED_FAMILIES)}")
    return frozenset(names)


def fused(family: str) -> bool:
    """Whether ``family``'s fused CUDA kernels replace the reference's."""
    if family not in FUSED_FAMILIES:
        raise ValueError(f"{family!r} has no fused CUDA kernels ({', '.join(FUSED_FAMILIES)} do)")
    return family not in reference_families()


def describe() -> str:
    """One line for ``python -m brickwork info``."""
    try:
        reference = reference_families()
    except ValueError as exc:
        return str(exc)
    if not reference:
        return f"fused CUDA kernels: {', '.join(FUSED_FAMILIES)} ({ENV_VARIABLE} unset)"
    fused_now = [f for f in FUSED_FAMILIES if f not in reference]
    return (f"reference kernels for {', '.join(sorted(reference))} ({ENV_VARIABLE}="
            f"{os.environ.get(ENV_VARIABLE, '')}); fused CUDA kernels: "
            f"{', '.join(fused_now) or 'none'}")
