"""The kernel conformance suite: every kernel spec, on every usable backend.

Checks live in ``kernel_checks/`` (one module per kernel family). Forward
kernels run in float32 and are compared with float64 references at ~1e-5
relative tolerance, and again in float64 and compared tightly. Backward
kernels run in float64 and are compared with central finite differences of
the reference forward. Optimizer kernels are compared step by step with a
float64 transcription of their spec, state arrays included.
"""
from __future__ import annotations

import inspect

import pytest

from brickwork import backend, hookspecs
from brickwork.plugin_manager import kernel_spec_names
from kernel_checks import load_all_checks

CHECKS = load_all_checks()


def kernels():
    return backend.get_backend().kernels


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------


def test_every_kernel_spec_has_a_conformance_check():
    specs = set(kernel_spec_names())
    assert specs, "no kernel specs found"
    assert not specs - set(CHECKS), f"kernel specs without a conformance check: {sorted(specs - set(CHECKS))}"
    assert not set(CHECKS) - specs, f"checks for specs that do not exist: {sorted(set(CHECKS) - specs)}"


def test_backend_implements_every_kernel_spec(backend_name):
    current = backend.get_backend()
    assert current.missing_kernels == (), f"{backend_name} lacks kernels {current.missing_kernels}"
    status = {s.name: s for s in backend.list_backends()}[backend_name]
    assert status.usable and status.missing_kernels == ()
    for name in kernel_spec_names():
        assert callable(getattr(current.kernels, name))


def test_kernel_signatures_equal_their_specs(backend_name):
    problems = []
    table = backend.get_backend().kernels
    for name in kernel_spec_names():
        spec = list(inspect.signature(getattr(hookspecs, name)).parameters)
        params = inspect.signature(getattr(table, name)).parameters.values()
        got = [p.name for p in params]
        if got != spec:
            problems.append(f"{name}: parameters {got}, spec says {spec}")
        for p in params:
            if p.default is not p.empty:
                problems.append(f"{name}: parameter {p.name!r} has a default")
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                problems.append(f"{name}: parameter {p.name!r} is {p.kind.description}")
    assert not problems, "\n".join(problems)


def _conformance_params():
    params = []
    for spec_name in kernel_spec_names():
        _, cases = CHECKS.get(spec_name, (None, (None,)))
        for case in cases:
            case_id = spec_name if case is None else f"{spec_name}-{case}"
            params.append(pytest.param(spec_name, case, id=case_id))
    return params


@pytest.mark.parametrize("spec_name, case", _conformance_params())
def test_kernel_conforms(backend_name, numpy_loops, spec_name, case, rng):
    if backend_name != "numpy" and numpy_loops == "ufuncs":
        pytest.skip("the NumPy backend's loop modes do not apply to this backend")
    if spec_name not in CHECKS:
        pytest.fail(f"no conformance check registered for kernel spec {spec_name!r}")
    check, _ = CHECKS[spec_name]
    check(kernels(), rng, case)
