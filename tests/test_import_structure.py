"""The shape of the core's imports, and discovery without side effects.

DESIGN.md, rule 7: no import cycles in core, counting imports inside
functions; discovering plugins has no side effects (listing backends imports
no compiler or GPU library and changes no process-wide setting; a backend
does that when it is selected).

The import graph is read from the source with ``ast``: every ``import`` and
``from ... import`` of a ``brickwork`` module, at module level or inside a
function (those under ``if TYPE_CHECKING:`` excepted), pointing at the
module named (``from brickwork import ops`` is an edge to ``brickwork.ops``,
``from brickwork.ops import relu`` one to ``brickwork.ops``). Importing a
submodule also runs its parent packages, but those edges are not counted:
they would make every module part of one cycle through ``brickwork``.
"""
from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys
import types

import pytest

import brickwork
from brickwork import backend
from brickwork.backend import BackendError
from brickwork.plugin import BackendInfo, hookimpl

CORE = pathlib.Path(brickwork.__file__).parent

#: The only edges allowed to close a cycle: (importer, imported) -> why.
#: Removing them must leave the graph without cycles, and each must still
#: exist (a stale entry fails, so the list only shrinks). The owners of these
#: modules can remove them by moving the shared helper down, or by passing
#: what is needed in.
ALLOWED_CYCLE_EDGES = {
    # Deserialization looks up Keras names and compile configs in the
    # packages that define them, at call time (as Keras's serialization_lib);
    # those packages import serialization to register their classes.
    ("brickwork.saving.serialization", "brickwork.layers.layer"):
        "build_from_config traces a default-built Layer",
    ("brickwork.saving.serialization", "brickwork.losses"):
        "compile_from_config deserializes the loss",
    ("brickwork.saving.serialization", "brickwork.metrics"):
        "compile_from_config deserializes the metrics",
    ("brickwork.saving.serialization", "brickwork.optimizers"):
        "compile_from_config deserializes the optimizer",
    ("brickwork.saving.serialization", "brickwork.trainers.trainer"):
        "compile_from_config tells the model's own rule from Trainer's",
    ("brickwork.saving.saving_lib", "brickwork"):
        "the version written into metadata.json (brickwork.__version__)",
    ("brickwork.saving.saving_lib", "brickwork.models"):
        "loading imports the built-in model classes so that they are registered",
    ("brickwork.saving.state_walk", "brickwork.models.functional"):
        "the saved-state walk names Functional models as Keras does",
    ("brickwork.saving.state_walk", "brickwork.models.sequential"):
        "the saved-state walk names Sequential models as Keras does",
    ("brickwork.operation", "brickwork.models.functional"):
        "Function orders its graph's nodes with the functional model's walk",
    # A class and its subclass or its functional form, in one family.
    ("brickwork.models.model", "brickwork.models.functional"):
        "Model(inputs, outputs) constructs a Functional (Keras's __new__)",
    ("brickwork.models.summary", "brickwork.models.sequential"):
        "summary prints Sequential models' layers as Keras does",
    ("brickwork.callbacks.callback", "brickwork.callbacks.history"):
        "CallbackList adds the History callback fit returns",
    ("brickwork.callbacks.callback", "brickwork.callbacks.progbar_logger"):
        "CallbackList adds the progress bar for verbose fits",
    ("brickwork.metrics.reduction_metrics", "brickwork.metrics"):
        "MeanMetricWrapper's config serializes its function by the metrics' names",
    ("brickwork.optimizers.loss_scale_optimizer", "brickwork.optimizers"):
        "from_config deserializes the inner optimizer",
    ("brickwork.optimizers.multi_optimizer", "brickwork.optimizers"):
        "from_config deserializes the inner optimizers",
    # Package and submodule.
    ("brickwork.ops.numpy", "brickwork.ops"):
        "ops.numpy re-exports the package's NumPy-named functions",
    ("brickwork.ops.image", "brickwork.random"):
        "seeded image transforms draw from a SeedGenerator (random uses ops)",
    ("brickwork.ops.nn", "brickwork.ops.convolution"):
        "nn's functions standardize data_format as convolution does",
}

#: The plugin machinery sits below everything it serves: these modules import
#: only each other and the modules listed here (DESIGN.md, rules 1 and 7).
PLUGIN_MACHINERY = {"brickwork.plugin", "brickwork.hookspecs", "brickwork.plugin_manager",
                    "brickwork.plugins", "brickwork.plugins.discovery",
                    "brickwork.plugins.kernel_table", "brickwork.backend",
                    "brickwork.array_namespace"}
PLUGIN_MACHINERY_MAY_IMPORT = {"brickwork.global_state", "brickwork.naming", "brickwork.symbolic",
                               "brickwork.dtypes"}


def _core_modules() -> dict[str, tuple[pathlib.Path, bool]]:
    modules = {}
    for path in CORE.rglob("*.py"):
        parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _imports(name: str, path: pathlib.Path, is_package: bool, known) -> dict[str, int]:
    """``{imported module: first line}`` for every brickwork import in the file."""
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target, line):
        if target in known and target != name:
            found.setdefault(target, line)

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, child.lineno)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                for alias in child.names:
                    submodule = f"{module}.{alias.name}"
                    add(submodule if submodule in known else module, child.lineno)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


@pytest.fixture(scope="module")
def import_graph() -> dict[str, dict[str, int]]:
    modules = _core_modules()
    return {name: _imports(name, path, is_package, modules)
            for name, (path, is_package) in modules.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iterative)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _describe(graph, component) -> str:
    members = set(component)
    edges = [f"  {a}:{line} -> {b}" for a in component for b, line in sorted(graph[a].items())
             if b in members]
    return "\n".join([f"cycle of {len(component)} modules:", *edges])


def test_no_import_cycles_but_the_listed_ones(import_graph):
    graph = {name: {target: line for target, line in targets.items()
                    if (name, target) not in ALLOWED_CYCLE_EDGES}
             for name, targets in import_graph.items()}
    cycles = _cycles(graph)
    assert not cycles, "\n".join(_describe(graph, c) for c in cycles)


def test_every_listed_cycle_edge_still_exists(import_graph):
    stale = [edge for edge in ALLOWED_CYCLE_EDGES if edge[1] not in import_graph.get(edge[0], {})]
    assert not stale, f"remove these from ALLOWED_CYCLE_EDGES: {stale}"


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}, "e": {"e": 1}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("package", ["brickwork.layers", "brickwork.trainers"])
def test_layers_and_trainers_do_not_reach_up_into_models(import_graph, package):
    reaching = [f"{name}:{line} -> {target}" for name, targets in import_graph.items()
                if name == package or name.startswith(package + ".")
                for target, line in targets.items()
                if target == "brickwork.models" or target.startswith("brickwork.models.")]
    assert not reaching, reaching


def test_the_plugin_machinery_imports_nothing_it_serves(import_graph):
    reaching = [f"{name}:{line} -> {target}" for name in PLUGIN_MACHINERY
                for target, line in import_graph[name].items()
                if target not in PLUGIN_MACHINERY | PLUGIN_MACHINERY_MAY_IMPORT]
    assert not reaching, reaching


# ---------------------------------------------------------------------------
# Discovery without side effects
# ---------------------------------------------------------------------------

# Records whether glibc's mallopt is looked up (the allocator tuning calls it
# through ctypes.CDLL(None)), lists the backends and reads every field of
# their statuses, then selects numpy.
SIDE_EFFECTS_SCRIPT = """
import ctypes, json, sys

looked_up = []

class SpyCDLL(ctypes.CDLL):
    def __getattr__(self, name):
        looked_up.append(name)
        return super().__getattr__(name)

ctypes.CDLL = SpyCDLL

def snapshot():
    return {"numba": "numba" in sys.modules, "cupy": "cupy" in sys.modules,
            "mallopt": "mallopt" in looked_up,
            "numpy kernels": "brickwork_numpy.kernels.dense" in sys.modules}

import brickwork
from brickwork import backend
imported = snapshot()
statuses = backend.list_backends()
described = [(s.name, s.usable, s.reason, s.device, s.missing_kernels, s.details) for s in statuses]
listed = snapshot()
from brickwork_numpy import compiled
backend.set_backend("numpy")
selected = snapshot()
print(json.dumps({"imported": imported, "listed": listed, "selected": selected,
                  "numba_enabled": compiled.enabled(),
                  "usable": [s.name for s in statuses if s.usable]}))
"""


def _clean_environment(**extra):
    drop = ("BRICKWORK_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def _run_side_effects_script(**extra):
    result = subprocess.run([sys.executable, "-c", SIDE_EFFECTS_SCRIPT], capture_output=True,
                            text=True, timeout=120, env=_clean_environment(**extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_listing_backends_imports_no_compiler_or_gpu_library_and_tunes_nothing():
    seen = _run_side_effects_script()
    if "cupy" in seen["usable"]:
        # Describing a usable GPU backend asks CuPy for its device and loads
        # its kernel table; only the NumPy side is checked there.
        seen["listed"].pop("cupy")
    assert not any(seen["imported"].values()), seen["imported"]
    assert seen["listed"] == {"numba": False, "cupy": False, "mallopt": False,
                              "numpy kernels": True}, seen["listed"]


def test_selecting_numpy_loads_numba_and_tunes_the_allocator():
    seen = _run_side_effects_script()
    assert seen["selected"]["numba"] == seen["numba_enabled"]
    assert not seen["selected"]["cupy"]
    if sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION"):
        assert seen["selected"]["mallopt"], seen


def test_switched_off_the_numpy_backend_neither_loads_numba_nor_tunes():
    seen = _run_side_effects_script(BRICKWORK_NUMBA="0", BRICKWORK_MALLOC_TUNING="0")
    assert not seen["selected"]["numba"] and not seen["selected"]["mallopt"], seen


def test_the_info_command_reports_compiled_loops_and_allocator_as_before():
    result = subprocess.run([sys.executable, "-m", "brickwork", "info"], capture_output=True,
                            text=True, timeout=120, env=_clean_environment())
    assert result.returncode == 0, result.stderr
    numpy_line = next(line for line in result.stdout.splitlines() if "compiled loops" in line)
    assert "allocator:" in numpy_line and "not tuned yet" not in numpy_line
    assert "loaded when the backend is selected" not in numpy_line


@pytest.fixture
def activation_probe():
    """A backend named "probe" (NumPy's kernels) whose ``activate`` counts its
    calls, or raises once ``fail`` is set."""
    calls = {"activate": 0, "fail": None}

    def activate():
        if calls["fail"]:
            raise RuntimeError(calls["fail"])
        calls["activate"] += 1

    plugin = types.ModuleType("probe_backend_plugin")
    plugin.brickwork_backend = hookimpl(lambda: BackendInfo(
        name="probe", array_module="numpy", kernel_modules=backend._registry.manager.backends[
            "numpy"].kernel_modules, activate=activate))
    manager = backend.plugin_manager()
    previous = backend.get_backend().name
    assert manager.register(plugin, "probe-backend")
    yield calls
    backend.set_backend(previous)
    manager.unregister("probe-backend")
    backend._registry._activated.discard("probe")
    backend.refresh()


def test_activate_runs_at_the_first_selection_only(activation_probe):
    status = {s.name: s for s in backend.list_backends()}["probe"]
    assert status.usable and activation_probe["activate"] == 0
    with backend.use_backend("probe"):
        assert backend.backend() == "probe"
    backend.set_backend("probe")
    assert activation_probe["activate"] == 1


def test_a_failing_activation_refuses_the_backend_with_its_reason(activation_probe):
    activation_probe["fail"] = "no probe device (driver 0.0)"
    before = backend.get_backend()
    with pytest.raises(BackendError, match=r"not usable here: no probe device \(driver 0.0\)"):
        backend.set_backend("probe")
    assert backend.get_backend() is before
    activation_probe["fail"] = None
    backend.set_backend("probe")
    assert activation_probe["activate"] == 1


def test_plugin_manager_facade_imports_only_the_machinery_below_it():
    # brickwork/__init__ imports everything, so the facade's own imports are read.
    source = (CORE / "plugin_manager.py").read_text()
    imported = {node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, (ast.ImportFrom, ast.Import)) and hasattr(node, "module")}
    assert imported <= {"__future__", "brickwork.plugins.discovery",
                        "brickwork.plugins.kernel_table"}, imported


def test_a_registration_handler_added_late_takes_the_plugins_already_registered():
    from brickwork.layers import Layer
    from brickwork.plugins import discovery
    from brickwork.saving import object_registration

    class LateWidget(Layer):
        pass

    plugin = types.ModuleType("late_widget_kit")
    plugin.brickwork_layers = hookimpl(lambda: [LateWidget])
    handler = discovery._HANDLERS.pop("brickwork_layers")
    try:
        manager = discovery.PluginManager()
        assert manager.register(plugin, "late-widgets")
        assert manager.records["late-widgets"].layers == []
        discovery.add_registration_handler(handler.hook, handler.collect, handler.forget)
        key = f"{LateWidget.__module__.split('.')[0]}>LateWidget"
        assert manager.records["late-widgets"].layers == [key]
        assert manager.layers["LateWidget"] is LateWidget
        manager.unregister("late-widgets")
        assert key not in object_registration.GLOBAL_CUSTOM_OBJECTS
        assert "LateWidget" not in manager.layers
    finally:
        discovery._HANDLERS["brickwork_layers"] = handler
