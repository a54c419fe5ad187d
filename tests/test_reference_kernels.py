"""The reference kernels: written once, bound by every backend, never copied.

``brickwork.reference_kernels`` holds each kernel algorithm once, against an
array namespace ``xp``; the NumPy and CuPy backends bind it (``bind``) and
override only what they do faster (DESIGN.md, rule 2). These tests check:

* the reference itself, bound to NumPy with no override at all, passes the
  whole conformance suite: this is the code the CuPy backend runs wherever
  it has no fused CUDA kernel, and what ``BRICKWORK_CUPY_REFERENCE`` falls
  back to, so its values are checked on every machine;
* every ``xp.<name>`` the reference uses exists in NumPy and in CuPy (where
  CuPy imports; no GPU needed);
* every CuPy kernel is either a reference kernel bound to CuPy (the same
  code object) or a fused CUDA kernel from ``brickwork_cupy.cuda``, and no
  CuPy kernel module defines code of its own; with
  ``BRICKWORK_CUPY_REFERENCE=1`` every one is the reference's;
* :func:`bind` itself: what it copies, and what it refuses.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import brickwork.reference_kernels as reference_package
from brickwork.plugin_manager import kernel_spec_names
from brickwork.reference_kernels import bind
from kernel_checks import load_all_checks

REFERENCE_DIR = pathlib.Path(reference_package.__file__).parent
#: Every reference module, in an order that binds each after those it uses.
REFERENCE_MODULES = ("special", "reductions", "geometry", "activations", "dense", "attention",
                     "indexing", "dropout", "random", "losses", "normalization", "pooling",
                     "convolution", "recurrent", "optimizers")


def _reference(name):
    return importlib.import_module(f"brickwork.reference_kernels.{name}")


def _uses(module):
    """The reference modules ``module`` imports, by the name it uses."""
    return {name: value for name, value in vars(module).items()
            if isinstance(value, types.ModuleType) and "xp" in vars(value)}


def _bind_all(xp, package):
    """Every reference module bound to ``xp`` as module ``package.<name>``,
    with nothing overridden: the reference as a backend would run it."""
    bound = {}
    for name in REFERENCE_MODULES:
        reference = _reference(name)
        module = types.ModuleType(f"{package}.{name}")
        siblings = {alias: bound[sibling.__name__.rpartition(".")[2]]
                    for alias, sibling in _uses(reference).items()}
        bind(reference, vars(module), xp=xp, **siblings)
        bound[name] = module
    return bound


def _kernel_table(modules):
    table = {}
    for module in modules.values():
        for name, value in vars(module).items():
            if hasattr(value, "brickwork_impl"):
                assert name not in table, f"{name} implemented twice"
                table[name] = value
    return types.SimpleNamespace(**table)


def test_the_module_list_names_every_reference_module():
    on_disk = {p.stem for p in REFERENCE_DIR.glob("*.py")} - {"__init__", "binding"}
    assert set(REFERENCE_MODULES) == on_disk


def test_the_reference_implements_every_kernel_spec():
    table = _kernel_table(_bind_all(np, "reference_on_numpy"))
    assert set(vars(table)) == set(kernel_spec_names())


# ---------------------------------------------------------------------------
# The reference, bound to NumPy with no override, against the conformance checks
# ---------------------------------------------------------------------------

CHECKS = load_all_checks()
REFERENCE_ON_NUMPY = _kernel_table(_bind_all(np, "reference_on_numpy"))

#: Slow backward checks (finite differences) run on a sample of their cases
#: here: the NumPy backend's conformance runs every case through this same
#: code (its ufunc mode is the bound reference), so what is left to check is
#: the reference's own helpers (fresh buffers, plain sums), which any case
#: reaches. The sample keeps this file well under a minute.
SAMPLED_CASES = {
    "conv_backward": ("1d-stride2", "2d-stride-groups", "3d"),
    "conv_transpose_backward": ("1d-stride2-same", "2d-stride2"),
    "lstm_backward": ("mask_backwards", "gate_masks_mask"),
    "gru_backward": ("mask_backwards", "other_activations", "reset_before_gate_masks_mask"),
    "avg_pool_backward": ("2d-same", "2d-tiled"),
}


def _cases(name):
    cases = CHECKS[name][1]
    sample = SAMPLED_CASES.get(name)
    assert sample is None or set(sample) <= set(cases), name
    return sample or cases


@pytest.mark.parametrize("spec_name, case", [
    pytest.param(name, case, id=name if case is None else f"{name}-{case}")
    for name in kernel_spec_names() for case in _cases(name)])
def test_the_reference_on_numpy_conforms(spec_name, case, rng):
    check, _ = CHECKS[spec_name]
    check(REFERENCE_ON_NUMPY, rng, case)


# ---------------------------------------------------------------------------
# Only what both array namespaces have
# ---------------------------------------------------------------------------


def _xp_attributes(path):
    """Every ``xp.a`` and ``xp.a.b...`` chain the module's code reads."""
    chains = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            parts = []
            inner = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "xp":
                chains.add(".".join(reversed(parts)))
    # Keep the longest chains only: xp.lib.stride_tricks.as_strided covers xp.lib.
    return {c for c in chains if not any(o.startswith(c + ".") for o in chains)}


def _missing(namespace, chains):
    missing = []
    for chain in sorted(chains):
        value = namespace
        for part in chain.split("."):
            if not hasattr(value, part):
                missing.append(chain)
                break
            value = getattr(value, part)
    return missing


def _reference_sources():
    return sorted(REFERENCE_DIR.glob("*.py"))


@pytest.mark.parametrize("path", _reference_sources(), ids=lambda p: p.stem)
def test_the_reference_uses_only_what_numpy_and_cupy_both_have(path):
    chains = _xp_attributes(path)
    assert not _missing(np, chains)
    cupy = pytest.importorskip("cupy", reason="cupy not installed")
    assert not _missing(cupy, chains), f"{path.name} uses xp names CuPy lacks"


# ---------------------------------------------------------------------------
# The CuPy backend: bound reference kernels and fused CUDA kernels, nothing else
# ---------------------------------------------------------------------------


def _origin(function, family):
    """'reference' when ``function`` runs the reference's code for its name,
    'cuda' when it is a fused kernel of ``brickwork_cupy.cuda``, else None."""
    reference = getattr(_reference(family), function.__name__, None)
    if reference is not None and function.__code__ is reference.__code__:
        return "reference"
    if function.__module__.startswith("brickwork_cupy.cuda.fused_"):
        return "cuda"
    return None


CUPY_ORIGINS = """
    import importlib, json, os, sys, types
    import brickwork
    from brickwork_cupy import plugin
    result = {}
    for setting in json.loads(sys.argv[1]):
        os.environ["BRICKWORK_CUPY_REFERENCE"] = setting
        for name in [m for m in sys.modules if m.startswith("brickwork_cupy.kernels.")]:
            del sys.modules[name]
        kernels = result[setting] = {}
        for module_name in plugin.KERNEL_MODULES:
            module = importlib.import_module(module_name)
            for name, value in vars(module).items():
                if hasattr(value, "brickwork_impl"):
                    kernels[f"{module_name}:{name}"] = value.__module__
    print(json.dumps(result))
"""
SWITCH_SETTINGS = {"1": {"activations", "losses", "optimizers"}, "losses": {"losses"},
                   "": set()}


def _cupy_kernel_modules():
    pytest.importorskip("cupy", reason="cupy not installed")
    from brickwork_cupy import plugin
    return {name: importlib.import_module(name) for name in plugin.KERNEL_MODULES}


def test_every_cupy_kernel_is_the_reference_or_a_fused_cuda_kernel():
    problems, fused = [], set()
    for module_name, module in _cupy_kernel_modules().items():
        family = module_name.rpartition(".")[2]
        for name, value in vars(module).items():
            if not isinstance(value, types.FunctionType) or value is bind:
                continue
            origin = _origin(value, family)
            if origin is None:
                problems.append(f"{module_name}.{name} is defined in {value.__module__}: "
                                f"neither a bound reference function nor a fused CUDA kernel")
            elif origin == "cuda" and hasattr(value, "brickwork_impl"):
                fused.add(name)
    assert not problems, "\n".join(problems)
    assert fused, "no fused CUDA kernel is in use"


def test_every_fused_cuda_kernel_replaces_a_reference_kernel():
    modules = _cupy_kernel_modules()
    used = {value for module in modules.values() for value in vars(module).values()
            if isinstance(value, types.FunctionType)}
    from brickwork_cupy.reference_switch import FUSED_FAMILIES
    for family in FUSED_FAMILIES:
        fused = importlib.import_module(f"brickwork_cupy.cuda.fused_{family}")
        kernels = [v for v in vars(fused).values() if hasattr(v, "brickwork_impl")]
        assert kernels, family
        for kernel in kernels:
            assert kernel in used, f"{kernel.__name__} of fused_{family} replaces nothing"
            assert kernel.__name__ in kernel_spec_names()


def test_brickwork_cupy_reference_puts_the_reference_back():
    pytest.importorskip("cupy", reason="cupy not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRICKWORK_")}
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(CUPY_ORIGINS),
                             json.dumps(list(SWITCH_SETTINGS))], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    by_setting = json.loads(result.stdout.splitlines()[-1])
    for setting, reference_families in SWITCH_SETTINGS.items():
        kernels = by_setting[setting]
        assert {key.split(":")[1] for key in kernels} == set(kernel_spec_names()), setting
        fused = set()
        for key, module in kernels.items():
            family = key.split(":")[0].rpartition(".")[2]
            if module.startswith("brickwork_cupy.cuda"):
                assert family not in reference_families, (setting, key)
                fused.add(family)
            else:
                assert module.startswith("brickwork_cupy.kernels"), (setting, key, module)
        assert fused == {"activations", "losses", "optimizers"} - reference_families, setting


def test_the_switch_reads_families_and_refuses_unknown_ones():
    from brickwork_cupy import reference_switch as switch
    assert switch.reference_families("") == frozenset()
    assert switch.reference_families("0") == frozenset()
    assert switch.reference_families("all") == frozenset(switch.FUSED_FAMILIES)
    assert switch.reference_families(" Losses , optimizers") == {"losses", "optimizers"}
    with pytest.raises(ValueError, match="unknown kernel family convolution.*activations"):
        switch.reference_families("convolution")


# ---------------------------------------------------------------------------
# The NumPy backend: bound reference kernels plus its own overrides
# ---------------------------------------------------------------------------


def test_numpy_kernels_are_bound_reference_functions_or_numpy_overrides():
    from brickwork_numpy import plugin
    overrides = set()
    for module_name in plugin.KERNEL_MODULES:
        module = importlib.import_module(module_name)
        family = module_name.rpartition(".")[2]
        for name, value in vars(module).items():
            if not hasattr(value, "brickwork_impl"):
                continue
            assert value.__module__ == module_name, f"{name} is served from {value.__module__}"
            reference = getattr(_reference(family), name, None)
            if reference is None or value.__code__ is not reference.__code__:
                overrides.add(name)
    # The overrides are the compiled, BLAS and native paths; everything else is the reference's.
    assert {"conv_forward", "lstm_forward", "gru_forward", "sgd_update", "adam_update",
            "max_pool_backward", "random_generator"} <= overrides
    assert not overrides & {"dense_forward", "batch_norm_train_forward", "softmax_forward",
                            "simple_rnn_forward", "avg_pool_forward", "layer_norm_forward"}


# ---------------------------------------------------------------------------
# bind()
# ---------------------------------------------------------------------------


def _module(name, **values):
    module = types.ModuleType(name)
    vars(module).update(values)
    return module


def test_bind_copies_functions_into_the_backend_module_and_overrides_take_effect():
    namespace = {"__name__": "my_backend.dense"}
    reference = bind(_reference("dense"), namespace, xp=np,
                     activations=_module("a", apply_activation=lambda y, name, inplace: y * 0,
                                         activation_grad_from_output=None),
                     reductions=_reference("reductions"))
    forward = namespace["dense_forward"]
    assert isinstance(forward, types.FunctionType) and forward.__module__ == "my_backend.dense"
    assert forward.__code__ is _reference("dense").dense_forward.__code__
    assert hasattr(forward, "brickwork_impl")
    assert reference.dense_forward is forward
    x = np.ones((2, 3))
    # The replacement activations module is the one the bound kernel calls.
    assert np.all(forward(x, np.ones((3, 4)), None, "relu") == 0)
    namespace["bias_and_activation"] = lambda y, bias, activation: y + 7
    assert np.all(forward(x, np.ones((3, 4)), None, "relu") == 10)


def test_bind_rebinds_classes_too():
    namespace = {"__name__": "my_backend.recurrent"}
    bind(_reference("recurrent"), namespace, xp=np, activations=_reference("activations"),
         reductions=_reference("reductions"))
    gates = namespace["_Gates"]
    assert gates is not _reference("recurrent")._Gates
    assert gates.__call__.__globals__ is namespace and gates.__module__ == "my_backend.recurrent"


def test_bind_needs_every_reference_module_it_uses():
    with pytest.raises(TypeError, match=r"needs the backend's module .*\['activations', "
                                        r"'reductions'\]"):
        bind(_reference("dense"), {"__name__": "m"}, xp=np, activations=_reference("activations"))


def test_bind_refuses_to_overwrite_what_the_module_defines():
    namespace = {"__name__": "m", "dense_forward": lambda *a: None}
    with pytest.raises(ValueError, match="already defines dense_forward; define overrides after"):
        bind(_reference("dense"), namespace, xp=np, activations=_reference("activations"),
             reductions=_reference("reductions"))


def test_bind_refuses_names_imported_from_another_reference_module():
    helper = _reference("reductions").column_sums
    bad = _module("bad_reference", xp=np, column_sums=helper)
    with pytest.raises(TypeError, match="import the module, not the name"):
        bind(bad, {"__name__": "m"}, xp=np)


def test_bind_takes_only_reference_modules():
    with pytest.raises(TypeError, match="not a reference module"):
        bind(_module("plain"), {"__name__": "m"}, xp=np)
