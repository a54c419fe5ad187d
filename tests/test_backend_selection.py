"""Backend selection, dispatch resolution and plugin robustness."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose

from brickwork import backend, layers, ops
from brickwork.backend import BackendError
from brickwork.plugin import BackendInfo, hookimpl
from brickwork.plugin_manager import BrickworkPluginWarning, kernel_spec_names


def make_plugin(module_name, **attributes):
    """A module-like plugin object holding ``attributes`` (hookimpls and data)."""
    module = types.ModuleType(module_name)
    module.__dict__.update(attributes)
    return module


@pytest.fixture
def plugins():
    """Register plugin objects for one test; unregister them and re-resolve after."""
    manager = backend.plugin_manager()
    previous = backend.get_backend().name
    names = []

    def register(plugin, name):
        names.append(name)
        return manager.register(plugin, name)

    yield register
    for name in names:
        manager.unregister(name)
        manager.records.pop(name, None)
    backend.refresh()
    backend.set_backend(previous)


def fake_backend_plugin(name, reason=None):
    @hookimpl
    def brickwork_backend():
        return BackendInfo(name=name, array_module="numpy", kernel_modules=(),
                           unavailable_reason=lambda: reason, device_name=lambda: "abacus")
    return make_plugin(f"fake_{name}_plugin", brickwork_backend=brickwork_backend)


def run_python(code, env_overrides=None, extra_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRICKWORK_")}
    env.update(env_overrides or {})
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=60)


# ---------------------------------------------------------------------------
# Listing and selecting
# ---------------------------------------------------------------------------


def test_list_backends_reports_numpy_usable_on_cpu():
    statuses = {s.name: s for s in backend.list_backends()}
    numpy_status = statuses["numpy"]
    assert numpy_status.usable and numpy_status.reason is None
    assert numpy_status.device == "cpu"
    assert numpy_status.missing_kernels == ()


def test_unknown_backend_error_lists_the_known_ones():
    before = backend.get_backend()
    with pytest.raises(BackendError) as info:
        backend.set_backend("nope")
    message = str(info.value)
    assert "nope" in message and "numpy" in message
    assert isinstance(info.value, ValueError)
    assert backend.get_backend() is before, "a failed selection must not change the backend"


def test_use_backend_selects_and_restores(plugins):
    assert plugins(fake_backend_plugin("fakebk"), "fake-backend")
    before = backend.get_backend()
    with backend.use_backend("fakebk") as selected:
        assert backend.get_backend() is selected
        assert backend.backend() == "fakebk"
    assert backend.get_backend() is before
    with pytest.raises(RuntimeError):
        with backend.use_backend("fakebk"):
            raise RuntimeError("inside")
    assert backend.get_backend() is before, "not restored after an exception"
    with backend.use_backend("fakebk"):
        with backend.use_backend("numpy"):
            assert backend.backend() == "numpy"
        assert backend.backend() == "fakebk"
    assert backend.get_backend() is before


def test_backend_lacking_kernels_is_reported_and_fails_clearly(plugins):
    assert plugins(fake_backend_plugin("fakebk"), "fake-backend")
    status = {s.name: s for s in backend.list_backends()}["fakebk"]
    assert status.usable and status.device == "abacus"
    assert set(status.missing_kernels) == set(kernel_spec_names())
    with backend.use_backend("fakebk"):
        with pytest.raises(BackendError, match="dense_forward"):
            ops.dense(np.ones((1, 2)), np.ones((2, 2)))


def test_unusable_backend_is_listed_with_its_reason(plugins):
    assert plugins(fake_backend_plugin("quantum", reason="no quantum device"), "fake-quantum")
    status = {s.name: s for s in backend.list_backends()}["quantum"]
    assert not status.usable and status.reason == "no quantum device"
    with pytest.raises(BackendError, match="no quantum device"):
        backend.set_backend("quantum")


def test_backend_whose_availability_probe_raises_is_listed_unusable(plugins):
    def probe():
        raise RuntimeError("driver exploded")
    plugin = fake_backend_plugin("flaky")
    plugin.brickwork_backend = hookimpl(lambda: BackendInfo("flaky", "numpy", (), unavailable_reason=probe))
    plugins(plugin, "fake-flaky")
    status = {s.name: s for s in backend.list_backends()}["flaky"]
    assert not status.usable and "driver exploded" in status.reason


# ---------------------------------------------------------------------------
# BRICKWORK_BACKEND in a fresh interpreter
# ---------------------------------------------------------------------------


def test_environment_variable_selects_the_backend():
    result = run_python("""
        import brickwork
        from brickwork import backend, ops
        print(backend.backend(), type(ops.convert_to_tensor([1.0])).__module__)
    """, {"BRICKWORK_BACKEND": "numpy"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["numpy", "numpy"]


def test_unknown_backend_in_environment_is_named_at_import():
    result = run_python("""
        import brickwork
        print("imported")
    """, {"BRICKWORK_BACKEND": "nunpy"})
    assert result.returncode != 0 and "imported" not in result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert "BackendError" in last_line
    assert "BRICKWORK_BACKEND='nunpy'" in last_line and "known backends:" in last_line
    assert "numpy" in last_line and "unset it" in last_line


def test_an_unusable_backend_in_environment_names_the_variable_at_first_use():
    cupy = {s.name: s for s in backend.list_backends()}["cupy"]
    if cupy.usable:
        pytest.skip("the cupy backend is usable here")
    result = run_python("""
        import brickwork
        brickwork.ops.convert_to_tensor([1.0])
    """, {"BRICKWORK_BACKEND": "cupy"})
    last_line = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0 and "BackendError" in last_line
    assert "BRICKWORK_BACKEND='cupy'" in last_line and "not usable here" in last_line
    assert cupy.reason in last_line


def test_info_says_which_backend_is_selected_and_why():
    result = run_python("""
        from brickwork import backend
        from brickwork.info import report
        print(report().splitlines()[2])
        backend.set_backend("numpy")
        print(report().splitlines()[2])
        with backend.use_backend("numpy"):
            print(report().splitlines()[2])
        print(report().splitlines()[2])
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "selected backend: numpy, by the default (BRICKWORK_BACKEND is not set)",
        "selected backend: numpy, by set_backend('numpy')",
        "selected backend: numpy, by use_backend('numpy')",
        "selected backend: numpy, by set_backend('numpy')"]
    from_environment = run_python("""
        from brickwork.info import report
        print(report().splitlines()[2])
    """, {"BRICKWORK_BACKEND": "numpy"})
    assert from_environment.stdout.strip() == "selected backend: numpy, by BRICKWORK_BACKEND=numpy"


# ---------------------------------------------------------------------------
# Dispatch is resolved once, into plain functions
# ---------------------------------------------------------------------------


def test_kernel_table_holds_the_backend_functions_themselves():
    from brickwork_numpy.kernels import activations, dense
    with backend.use_backend("numpy"):
        current = backend.get_backend()
        table = current.kernels
        assert table.dense_forward is dense.dense_forward
        assert table.softmax_forward is activations.softmax_forward
        for name in kernel_spec_names():
            assert isinstance(getattr(table, name), types.FunctionType), name
        assert backend.set_backend("numpy") is current, "re-selecting must not re-resolve"
        assert backend.get_backend().kernels is table


# ---------------------------------------------------------------------------
# Plugins: overrides, and broken plugins never break brickwork
# ---------------------------------------------------------------------------


def test_kernel_override_takes_effect_after_refresh_and_is_undone(plugins):
    original = backend.get_backend().kernels.dense_forward
    calls = []

    @hookimpl
    def dense_forward(x, kernel, bias, activation):
        calls.append(activation)
        return original(x, kernel, bias, activation) + 100.0

    assert plugins(make_plugin("override_dense", BRICKWORK_BACKEND="numpy",
                               dense_forward=dense_forward), "override-dense")
    assert backend.get_backend().kernels.dense_forward is original, "table changed before refresh()"
    backend.refresh()
    assert backend.get_backend().kernels.dense_forward is dense_forward
    x, k = np.ones((2, 3), np.float32), np.full((3, 4), 0.5, np.float32)
    assert_allclose(ops.convert_to_numpy(ops.dense(x, k)), np.full((2, 4), 101.5))
    assert calls == ["linear"]
    # Kernels the override does not implement still come from the backend.
    assert backend.get_backend().kernels.dense_backward.__module__ == "brickwork_numpy.kernels.dense"

    backend.plugin_manager().unregister("override-dense")
    backend.refresh()
    assert backend.get_backend().kernels.dense_forward is original
    assert_allclose(ops.convert_to_numpy(ops.dense(x, k)), np.full((2, 4), 1.5))


def test_override_for_another_backend_is_ignored(plugins):
    original = backend.get_backend().kernels.dense_forward

    @hookimpl
    def dense_forward(x, kernel, bias, activation):
        raise AssertionError("must not be used for numpy")

    assert plugins(make_plugin("other_dense", BRICKWORK_BACKEND="elsewhere",
                               dense_forward=dense_forward), "override-elsewhere")
    backend.refresh()
    assert backend.get_backend().kernels.dense_forward is original


def test_override_precedence_tryfirst_then_latest_registered(plugins):
    @hookimpl
    def first(x, kernel, bias, activation):
        return "first"

    @hookimpl
    def second(x, kernel, bias, activation):
        return "second"

    @hookimpl(tryfirst=True)
    def eager(x, kernel, bias, activation):
        return "eager"

    plugins(make_plugin("o1", BRICKWORK_BACKEND="numpy", dense_forward=first), "override-1")
    plugins(make_plugin("o2", BRICKWORK_BACKEND="numpy", dense_forward=second), "override-2")
    with pytest.warns(BrickworkPluginWarning, match="'override-2' wins"):  # the clash is reported
        backend.refresh()
        assert backend.get_backend().kernels.dense_forward is second
    backend.plugin_manager().unregister("override-2")
    plugins(make_plugin("o3", BRICKWORK_BACKEND="numpy", dense_forward=eager), "override-3")
    plugins(make_plugin("o2", BRICKWORK_BACKEND="numpy", dense_forward=second), "override-2b")
    with pytest.warns(BrickworkPluginWarning, match="'override-3' wins"):
        backend.refresh()
        assert backend.get_backend().kernels.dense_forward is eager


@pytest.mark.parametrize("hook_name, hook, complaint", [
    ("dense_forward", lambda x, kernel, bias, act: None, "act"),
    ("conv9d_forward", lambda x: None, "conv9d_forward"),
], ids=["wrong-argument-name", "unknown-hook"])
def test_invalid_plugin_is_reported_and_skipped(plugins, hook_name, hook, complaint):
    original = backend.get_backend().kernels.dense_forward
    plugin = make_plugin("invalid_plugin", BRICKWORK_BACKEND="numpy")
    setattr(plugin, hook_name, hookimpl(hook))
    with pytest.warns(BrickworkPluginWarning, match="invalid-plugin") as caught:
        assert plugins(plugin, "invalid-plugin") is False
    assert complaint in str(caught[0].message)
    manager = backend.plugin_manager()
    assert manager.pm.get_plugin("invalid-plugin") is None, "a rejected plugin stays registered"
    assert manager.records["invalid-plugin"].error
    backend.refresh()
    assert backend.get_backend().kernels.dense_forward is original


def test_plugin_whose_backend_hook_raises_is_reported_and_skipped(plugins):
    @hookimpl
    def brickwork_backend():
        raise RuntimeError("backend probe exploded")

    with pytest.warns(BrickworkPluginWarning, match="raising-plugin"):
        assert plugins(make_plugin("raising_plugin", brickwork_backend=brickwork_backend),
                       "raising-plugin") is False
    assert backend.plugin_manager().pm.get_plugin("raising-plugin") is None


def write_entry_point_plugin(directory, distribution, entry_name, module_name, source):
    """A plugin 'installed' in ``directory``: a dist-info declaring an entry point
    in group ``brickwork``, and the module it names."""
    dist_info = directory / f"{distribution.replace('-', '_')}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[brickwork]\n{entry_name} = {module_name}\n")
    (directory / f"{module_name}.py").write_text(textwrap.dedent(source))


CHECK_BRICKWORK_WORKS = """
    import brickwork
    from brickwork import backend, ops
    import numpy as np
    print("backend", backend.backend())
    y = ops.dense(np.ones((1, 2), np.float32), np.ones((2, 3), np.float32))
    print("dense", ops.convert_to_numpy(y).sum())
    print("error", backend.plugin_manager().records["{entry}"].error)
"""


def test_plugin_that_fails_to_import_is_reported_and_skipped(tmp_path):
    write_entry_point_plugin(tmp_path, "broken-plugin", "broken", "brickwork_broken_plugin",
                             'raise ImportError("this plugin is broken on purpose")\n')
    result = run_python(CHECK_BRICKWORK_WORKS.format(entry="broken"), extra_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "backend numpy" in result.stdout and "dense 6.0" in result.stdout
    assert "ImportError" in result.stdout and "broken on purpose" in result.stdout
    assert "BrickworkPluginWarning" in result.stderr
    assert "'broken'" in result.stderr and "broken-plugin" in result.stderr


def test_installed_override_plugin_wins_over_the_backend_it_overrides(tmp_path):
    # Installed plugins register at start-up, before the backend's own kernel
    # modules (imported on selection): the override must still win.
    write_entry_point_plugin(tmp_path, "fast-dense", "fast_dense", "brickwork_fast_dense", """
        from brickwork.plugin import hookimpl

        BRICKWORK_BACKEND = "numpy"

        @hookimpl
        def dense_forward(x, kernel, bias, activation):
            return x @ kernel + 1000.0
    """)
    result = run_python("""
        import numpy as np
        from brickwork import backend, ops
        table = backend.get_backend().kernels
        print(table.dense_forward.__module__, table.dense_backward.__module__)
        print(ops.convert_to_numpy(ops.dense(np.ones((1, 2)), np.ones((2, 1)))).item())
    """, extra_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["brickwork_fast_dense", "brickwork_numpy.kernels.dense", "1002.0"]


def test_installed_plugin_whose_backend_hook_raises_does_not_break_brickwork(tmp_path):
    write_entry_point_plugin(tmp_path, "raising-plugin", "raising", "brickwork_raising_plugin", """
        from brickwork.plugin import hookimpl

        @hookimpl
        def brickwork_backend():
            raise RuntimeError("backend probe exploded")
    """)
    result = run_python(CHECK_BRICKWORK_WORKS.format(entry="raising"), extra_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "backend numpy" in result.stdout and "backend probe exploded" in result.stdout


def test_info_command_reports_backends_and_plugins():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "brickwork", "info"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("brickwork ")
    assert "numpy      usable on cpu; kernels" in out
    assert "brickwork_numpy.plugin: backends numpy" in out


# ---------------------------------------------------------------------------
# use_backend is local to a thread or an asyncio task
# ---------------------------------------------------------------------------


def test_use_backend_in_two_threads_each_sees_its_own(twin_backend):
    import threading
    default = backend.get_backend().name
    barrier = threading.Barrier(2)
    wrong = {}

    def worker(name):
        seen = 0
        barrier.wait()
        for _ in range(500):
            with backend.use_backend(name):
                seen += backend.get_backend().name != name
                # the model computes on the backend this thread selected
                layer = layers.Dense(2)
                layer(np.ones((1, 3), "float32"))
                seen += layer._weights_backend != name
        wrong[name] = seen

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("numpy", twin_backend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == {"numpy": 0, twin_backend: 0}
    assert backend.get_backend().name == default


def test_use_backend_in_asyncio_tasks_is_per_task(twin_backend):
    import asyncio

    async def task(name, seen):
        with backend.use_backend(name):
            for _ in range(20):
                await asyncio.sleep(0)
                seen.append(backend.get_backend().name == name)

    async def main():
        seen = []
        await asyncio.gather(task("numpy", seen), task(twin_backend, seen))
        return seen

    default = backend.get_backend().name
    assert all(asyncio.run(main()))
    assert backend.get_backend().name == default


def test_set_backend_is_the_process_default_and_applies_inside_a_block(twin_backend):
    import threading
    before = backend.get_backend().name
    with backend.use_backend(twin_backend):
        backend.set_backend("numpy")
        assert backend.get_backend().name == "numpy"  # at once, in this block
    assert backend.get_backend().name == "numpy"
    backend.set_backend(twin_backend)
    other = []
    thread = threading.Thread(target=lambda: other.append(backend.get_backend().name))
    thread.start()
    thread.join()
    assert other == [twin_backend]  # a new thread starts from the process default
    backend.set_backend(before)
