"""Plugins: layers, kernel specs, kernel overrides and whole backends from other
packages; isolation of broken plugins; disabling; clashes; ``info``."""
from __future__ import annotations

import importlib.metadata
import os
import pathlib
import site
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import backend, layers, ops
from brickwork.backend import BackendError
from brickwork.info import report
from brickwork.plugin import BackendInfo, hookimpl, hookspec
from brickwork.plugin_manager import BrickworkPluginWarning, kernel_spec_names
from brickwork.saving import deserialize_keras_object, serialize_keras_object


def make_module(name, **attributes):
    """A module object holding ``attributes``, importable while the test runs."""
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


@pytest.fixture
def plugins(monkeypatch):
    """Register plugin objects for one test; unregister them and re-resolve after."""
    manager = backend.plugin_manager()
    previous = backend.get_backend().name
    clashes = list(manager.clashes)
    names = []

    def register(plugin, name, modules=()):
        for module in modules:  # kernel modules a plugin names by import path
            monkeypatch.setitem(sys.modules, module.__name__, module)
        names.append(name)
        return manager.register(plugin, name)

    yield register
    for name in names:
        manager.unregister(name)
    manager.clashes[:] = clashes
    backend.refresh()
    backend.set_backend(previous)


def run_python(code, env_overrides=None, extra_path=None, python=sys.executable):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRICKWORK_")}
    env.update(env_overrides or {})
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run([str(python), "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def write_installed_plugin(directory, distribution, entry_name, module_name, source):
    """A plugin 'installed' in ``directory``: a dist-info declaring an entry
    point in group ``brickwork``, and the module it names."""
    dist_info = directory / f"{distribution.replace('-', '_')}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[brickwork]\n{entry_name} = {module_name}\n")
    (directory / f"{module_name}.py").write_text(textwrap.dedent(source))


# ---------------------------------------------------------------------------
# A layer plugin with its own kernel spec, registered in-process
# ---------------------------------------------------------------------------


class ScaledSpecs:
    """Kernel specs of the in-test 'scalekit' plugin."""

    @staticmethod
    @hookspec
    def scalekit_scale_forward(x, factor):
        """``x * factor``."""

    @staticmethod
    @hookspec
    def scalekit_scale_backward(dy, factor):
        """``dy * factor``."""


def scalekit_plugin():
    """A third-party layer plugin: a spec module, a NumPy kernel module and a layer."""
    specs = make_module("scalekit_specs", scalekit_scale_forward=ScaledSpecs.scalekit_scale_forward,
                        scalekit_scale_backward=ScaledSpecs.scalekit_scale_backward)
    kernels = make_module(
        "scalekit_numpy", BRICKWORK_BACKEND="numpy",
        scalekit_scale_forward=hookimpl(lambda x, factor: x * factor),
        scalekit_scale_backward=hookimpl(lambda dy, factor: dy * factor))

    class Scale(bw.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            k = ops.kernels()
            y = k.scalekit_scale_forward(ops.data_of(inputs), self.factor)
            if not bw.autodiff.needs_grad(inputs):
                return y
            return bw.autodiff.record(y, (inputs,), lambda g: (k.scalekit_scale_backward(g, self.factor),))

        def compute_output_shape(self, input_shape):
            return tuple(input_shape)

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    Scale.__module__ = "scalekit.layers"
    plugin = make_module(
        "scalekit.plugin",
        brickwork_kernel_specs=hookimpl(lambda: [specs]),
        brickwork_kernel_modules=hookimpl(lambda backend_name: ["scalekit_numpy"]
                                          if backend_name == "numpy" else []),
        brickwork_layers=hookimpl(lambda: [Scale]))
    return plugin, kernels, Scale


def test_layer_plugin_adds_a_kernel_spec_and_a_layer_that_saves_and_loads(plugins, tmp_path):
    plugin, kernels, Scale = scalekit_plugin()
    assert plugins(plugin, "scalekit", modules=[kernels])
    backend.refresh()
    manager = backend.plugin_manager()
    assert {spec: owner for spec, owner in manager.plugin_specs.items() if owner == "scalekit"} \
        == {"scalekit_scale_forward": "scalekit", "scalekit_scale_backward": "scalekit"}
    assert backend.get_backend().kernels.scalekit_scale_forward is kernels.scalekit_scale_forward
    assert layers.Scale is Scale
    record = manager.records["scalekit"]
    assert record.layers == ["scalekit>Scale"] and record.kernel_modules == ["scalekit_numpy"]

    x = bw.Variable(np.arange(3.0))
    with bw.GradientTape() as tape:
        y = Scale(3.0)(x)
        loss = ops.sum(y)
    assert_allclose(ops.convert_to_numpy(y), [0, 3, 6])
    assert_allclose(ops.convert_to_numpy(tape.gradient(loss, x)), [3, 3, 3])

    serialized = serialize_keras_object(Scale(4.0, name="s"))
    assert serialized["registered_name"] == "scalekit>Scale"
    restored = deserialize_keras_object(serialized)
    assert type(restored) is Scale and restored.factor == 4.0

    inputs = bw.Input((3,))
    model = bw.Model(inputs, layers.Dense(2)(Scale(0.5)(inputs)))
    if hasattr(model, "save"):
        path = tmp_path / "scaled.keras"
        model.save(path)
        loaded = bw.models.load_model(path)
        data = np.ones((2, 3), np.float32)
        assert_allclose(ops.convert_to_numpy(loaded.predict(data, verbose=0)),
                        ops.convert_to_numpy(model.predict(data, verbose=0)), rtol=1e-6)

    # Uninstalled in-process: spec, kernels, layer and registration are gone.
    manager.unregister("scalekit")
    backend.refresh()
    assert "scalekit_scale_forward" not in manager.plugin_specs
    assert not hasattr(backend.get_backend().kernels, "scalekit_scale_forward")
    assert not hasattr(layers, "Scale")
    with pytest.raises(TypeError, match="scalekit>Scale"):
        deserialize_keras_object(serialized)


def test_plugin_spec_without_a_kernel_on_the_backend_fails_clearly(plugins):
    plugin, _, _ = scalekit_plugin()
    plugin.brickwork_kernel_modules = hookimpl(lambda backend_name: [])
    assert plugins(plugin, "scalekit-nokernels")
    backend.refresh()
    with pytest.raises(BackendError, match="'scalekit_scale_forward'.*plugin 'scalekit-nokernels'"):
        backend.get_backend().kernels.scalekit_scale_forward(np.ones(2), 2.0)


@pytest.mark.parametrize("spec_name, complaint", [
    ("dense_forward", "shadow the core spec"),
    ("brickwork_sneaky", "reserved for brickwork"),
])
def test_plugin_spec_may_not_shadow_core_names(plugins, spec_name, complaint):
    spec = hookspec(lambda x: None)
    plugin = make_module("shadowing", brickwork_kernel_specs=hookimpl(
        lambda: [make_module("shadow_specs", **{spec_name: spec})]))
    with pytest.warns(BrickworkPluginWarning, match=complaint):
        assert plugins(plugin, "shadowing") is False
    assert backend.plugin_manager().records["shadowing"].error


def test_two_plugins_declaring_one_spec_the_second_is_skipped(plugins):
    first, kernels, _ = scalekit_plugin()
    second, _, _ = scalekit_plugin()
    second.brickwork_layers = hookimpl(lambda: [])
    assert plugins(first, "scalekit-a", modules=[kernels])
    with pytest.warns(BrickworkPluginWarning, match="already declared by plugin 'scalekit-a'"):
        assert plugins(second, "scalekit-b") is False
    assert backend.plugin_manager().plugin_specs["scalekit_scale_forward"] == "scalekit-a"


# ---------------------------------------------------------------------------
# Clashes between plugins
# ---------------------------------------------------------------------------


def layer_plugin(package, class_name="Widget"):
    cls = type(class_name, (bw.Layer,), {"__module__": f"{package}.layers"})
    return make_module(f"{package}.plugin", brickwork_layers=hookimpl(lambda: [cls])), cls


def test_layer_name_clash_first_plugin_keeps_the_short_name(plugins):
    first, first_cls = layer_plugin("alpha_kit")
    second, second_cls = layer_plugin("beta_kit")
    assert plugins(first, "alpha")
    with pytest.warns(BrickworkPluginWarning, match="brickwork.layers.Widget stays the one of plugin 'alpha'"):
        assert plugins(second, "beta")
    assert layers.Widget is first_cls
    # Both load from saved configs under their own registered names.
    for cls in (first_cls, second_cls):
        assert type(deserialize_keras_object(serialize_keras_object(cls(name="w")))) is cls
    assert any("Widget" in clash for clash in backend.plugin_manager().clashes)


def test_plugin_layer_named_like_a_core_layer_leaves_the_core_layer(plugins):
    plugin, cls = layer_plugin("gamma_kit", "Dense")
    with pytest.warns(BrickworkPluginWarning, match="stays the core layer"):
        assert plugins(plugin, "gamma")
    assert layers.Dense is not cls
    assert backend.plugin_manager().records["gamma"].layers == ["gamma_kit>Dense"]


def test_backend_name_clash_first_plugin_keeps_it(plugins):
    def backend_plugin(device):
        return make_module("b", brickwork_backend=hookimpl(
            lambda: BackendInfo("twin", "numpy", (), device_name=lambda: device)))
    assert plugins(backend_plugin("first"), "twin-a")
    with pytest.warns(BrickworkPluginWarning, match="backend 'twin'.*'twin-b' ignored.*'twin-a'"):
        assert plugins(backend_plugin("second"), "twin-b")
    assert {s.name: s for s in backend.list_backends()}["twin"].device == "first"


def test_two_overrides_of_one_kernel_are_reported(plugins):
    original = backend.get_backend().kernels.softmax_forward
    a = hookimpl(lambda x, axis: original(x, axis))
    b = hookimpl(lambda x, axis: original(x, axis))
    plugins(make_module("oa", BRICKWORK_BACKEND="numpy", softmax_forward=a), "override-a")
    plugins(make_module("ob", BRICKWORK_BACKEND="numpy", softmax_forward=b), "override-b")
    with pytest.warns(BrickworkPluginWarning, match="'softmax_forward'.*'override-b' wins"):
        backend.refresh()
    assert backend.get_backend().kernels.softmax_forward is b
    manager = backend.plugin_manager()
    assert manager.overrides_of(manager.records["override-a"]) == ["numpy: softmax_forward"]


@pytest.mark.parametrize("parameters", ["x", "axis, x", "x, axis=-1", "x, *, axis", "*args"])
def test_an_override_whose_parameters_differ_from_the_spec_is_refused(plugins, parameters):
    namespace = {"hookimpl": hookimpl}
    exec(f"@hookimpl\ndef softmax_forward({parameters}):\n    raise AssertionError\n", namespace)
    module = make_module("bad_override", BRICKWORK_BACKEND="numpy",
                         softmax_forward=namespace["softmax_forward"])
    with pytest.warns(BrickworkPluginWarning, match="differ from the spec"):
        assert not plugins(module, "bad-override")
    backend.refresh()
    assert backend.get_backend().kernels.softmax_forward.__module__.startswith("brickwork_numpy")
    assert_allclose(ops.convert_to_numpy(ops.softmax(np.zeros((1, 2)))), [[0.5, 0.5]])
    record = backend.plugin_manager().records["bad-override"]
    assert "does not match the spec softmax_forward(x, axis)" in record.error
    assert "bad-override" in report() and "FAILED" in report()


# ---------------------------------------------------------------------------
# A whole backend from a plugin
# ---------------------------------------------------------------------------


def delegating_kernel_module(module_name, backend_name):
    """Every core kernel, with the spec's exact parameters, delegating to NumPy's."""
    import inspect

    from brickwork import hookspecs
    numpy_table = backend._registry.load("numpy").kernels
    namespace = {"numpy_table": numpy_table, "hookimpl": hookimpl}
    for name in kernel_spec_names():
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        exec(f"@hookimpl\ndef {name}({params}):\n    return numpy_table.{name}({params})\n", namespace)
    module = make_module(module_name, BRICKWORK_BACKEND=backend_name)
    for name in kernel_spec_names():
        setattr(module, name, namespace[name])
    return module


def test_a_plugin_supplies_a_whole_backend(plugins):
    kernels = delegating_kernel_module("relay_kernels", "relay")
    plugin = make_module("relay_plugin", brickwork_backend=hookimpl(lambda: BackendInfo(
        name="relay", array_module="numpy", kernel_modules=("relay_kernels",),
        device_name=lambda: "relay cpu")))
    assert plugins(plugin, "relay", modules=[kernels])
    status = {s.name: s for s in backend.list_backends()}["relay"]
    assert status.usable and status.device == "relay cpu" and status.missing_kernels == ()

    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    dense = layers.Dense(2, activation="tanh")
    expected = ops.convert_to_numpy(dense(x))
    with backend.use_backend("relay") as relay:
        assert relay.kernels.dense_forward is kernels.dense_forward
        # Weights live on the backend they were made on: a copy made on relay.
        on_relay = layers.Dense(2, activation="tanh")
        on_relay.build(x.shape)
        on_relay.set_weights(dense.get_weights())
        assert_allclose(ops.convert_to_numpy(on_relay(x)), expected, rtol=1e-6)
        # The conformance suite's checks run on it as on any backend.
        from kernel_checks import load_all_checks
        checks = load_all_checks()
        for spec in ("dense_forward", "softmax_forward", "adam_update"):
            check, cases = checks[spec]
            check(relay.kernels, np.random.default_rng(0), cases[0])
        # Plugin kernels the backend lacks are reported, not silently wrong.
        for spec, owner in backend.plugin_manager().plugin_specs.items():
            with pytest.raises(BackendError, match=spec):
                getattr(relay.kernels, spec)()


# ---------------------------------------------------------------------------
# Broken plugins, disabling, info (fresh interpreters with installed plugins)
# ---------------------------------------------------------------------------


BROKEN_PLUGINS = {
    "import-fails": 'raise ImportError("broken on purpose")\n',
    "bad-signature": """
        from brickwork.plugin import hookimpl
        BRICKWORK_BACKEND = "numpy"
        @hookimpl
        def dense_forward(x, kernel, bias, act):
            return x
    """,
    "unknown-spec": """
        from brickwork.plugin import hookimpl
        BRICKWORK_BACKEND = "numpy"
        @hookimpl
        def conv9d_forward(x):
            return x
    """,
    "raising-hook": """
        from brickwork.plugin import hookimpl
        @hookimpl
        def brickwork_layers():
            raise RuntimeError("layer hook exploded")
    """,
}


def install_broken_plugins(directory):
    for name, source in BROKEN_PLUGINS.items():
        module = "bwtest_" + name.replace("-", "_")
        write_installed_plugin(directory, f"bwtest-{name}", name, module, source)


def test_broken_plugins_are_skipped_and_reported(tmp_path):
    install_broken_plugins(tmp_path)
    result = run_python("""
        import numpy as np
        import brickwork
        from brickwork import backend, ops
        from brickwork.info import report
        print("dense", ops.convert_to_numpy(ops.dense(np.ones((1, 2)), np.ones((2, 3)))).sum())
        print(report())
    """, extra_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out, err = result.stdout, result.stderr
    assert "dense 6.0" in out
    for name, complaint in [("import-fails", "broken on purpose"), ("bad-signature", "act"),
                            ("unknown-spec", "conv9d_forward"),
                            ("raising-hook", "layer hook exploded")]:
        assert f"'{name}' (distribution bwtest-{name}) skipped" in err, name
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert "FAILED" in line and complaint in line, line


def test_autoload_can_be_disabled_and_plugins_disabled_by_name(tmp_path):
    install_broken_plugins(tmp_path)
    code = """
        from brickwork import backend
        records = backend.plugin_manager().records
        print(sorted(n for n, r in records.items() if r.disabled))
        print(sorted(n for n, r in records.items() if r.error))
        print(backend.backend())
    """
    result = run_python(code, {"BRICKWORK_DISABLE_PLUGIN_AUTOLOAD": "1"}, extra_path=tmp_path)
    assert result.returncode == 0 and "skipped" not in result.stderr, result.stderr
    disabled, failed, chosen = result.stdout.splitlines()
    assert set(BROKEN_PLUGINS) <= set(eval(disabled)) and "numpy" not in disabled
    assert eval(failed) == [] and chosen == "numpy"

    result = run_python(code, {"BRICKWORK_DISABLE_PLUGINS": "import-fails, bwtest-raising-hook"},
                        extra_path=tmp_path)
    disabled, failed, _ = result.stdout.splitlines()
    assert {"import-fails", "raising-hook"} <= set(eval(disabled))
    assert {"bad-signature", "unknown-spec"} <= set(eval(failed))


# ---------------------------------------------------------------------------
# Install and uninstall a real distribution with pip, in a temporary venv
# ---------------------------------------------------------------------------


OVERRIDE_PYPROJECT = """
    [build-system]
    requires = ["setuptools>=68"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "bwtest-fast-softmax"
    version = "1.2.3"

    [project.entry-points.brickwork]
    fast_softmax = "bwtest_fast_softmax"
"""

OVERRIDE_MODULE = """
    import numpy as np
    from brickwork.plugin import hookimpl

    BRICKWORK_BACKEND = "numpy"

    @hookimpl
    def softmax_forward(x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True) + 1000.0  # marked, to see it is used
"""

CHECK_SOFTMAX = """
    import numpy as np
    from brickwork import backend, ops
    from brickwork.info import report
    print(ops.convert_to_numpy(ops.softmax(np.zeros((1, 2)))).tolist())
    print(backend.get_backend().kernels.softmax_forward.__module__)
    print(report())
"""


def _see_this_environment(python):
    """Let a new venv import what this interpreter can (brickwork, numpy...).

    ``--system-site-packages`` alone reaches the base interpreter's packages,
    not those of a venv the tests may run in. Listing this ``sys.path`` is not
    enough either: an editable install is reached through a finder that a
    ``.pth`` file of its site directory installs, so the new venv adds each
    site directory with ``site.addsitedir``, which runs those ``.pth`` files
    (directories it already has are skipped, so nothing runs twice).
    """
    target = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    user_site = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    site_dirs = [p for p in [*site.getsitepackages(), *user_site] if os.path.isdir(p)]
    paths = [p for p in sys.path if p and os.path.isdir(p) and p not in site_dirs]
    module = textwrap.dedent(f"""\
        import site, sys
        for directory in {site_dirs!r}:
            if directory not in sys.path:
                site.addsitedir(directory)
        sys.path.extend(p for p in {paths!r} if p not in sys.path)
        """)
    pathlib.Path(target, "_brickwork_test_parent_env.py").write_text(module)
    pathlib.Path(target, "_brickwork_test_parent_env.pth").write_text(
        "import _brickwork_test_parent_env\n")


def test_install_and_uninstall_an_override_plugin_with_pip(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "pyproject.toml").write_text(textwrap.dedent(OVERRIDE_PYPROJECT))
    (source / "bwtest_fast_softmax.py").write_text(textwrap.dedent(OVERRIDE_MODULE))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _see_this_environment(python)
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check",
           "--quiet"]
    installed = subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "--no-index",
                                str(source)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    result = run_python(CHECK_SOFTMAX, python=python)
    assert result.returncode == 0, result.stderr
    values, module, info = result.stdout.split("\n", 2)
    assert values == "[[1000.5, 1000.5]]" and module == "bwtest_fast_softmax"
    assert "bwtest-fast-softmax 1.2.3" in info and "overrides numpy: softmax_forward" in info

    removed = subprocess.run([*pip, "uninstall", "--yes", "bwtest-fast-softmax"],
                             capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, removed.stderr
    result = run_python(CHECK_SOFTMAX, python=python)
    assert result.returncode == 0, result.stderr
    values, module, info = result.stdout.split("\n", 2)
    assert values == "[[0.5, 0.5]]" and module.startswith("brickwork_numpy")
    assert "bwtest-fast-softmax" not in info


# ---------------------------------------------------------------------------
# The plugin distribution of this repository (installed by .ci/run)
# ---------------------------------------------------------------------------


def transformer_installed():
    try:
        importlib.metadata.distribution("brickwork-transformer")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not transformer_installed(),
                    reason="brickwork-transformer is not installed (.ci/run installs it with "
                           "`pip install ./plugins/brickwork-transformer`)")
def test_installed_transformer_plugin_registers_layers_and_kernels():
    manager = backend.plugin_manager()
    record = manager.records["transformer"]
    assert record.error is None and record.distribution == "brickwork-transformer"
    assert "brickwork_transformer>TransformerEncoder" in record.layers
    assert "transformer_attention_forward" in record.kernel_specs
    from brickwork_transformer import TransformerEncoder
    assert layers.TransformerEncoder is TransformerEncoder
    table = backend.get_backend().kernels
    assert table.transformer_attention_forward.__module__ == "brickwork_transformer.numpy_kernels"
    out = subprocess.run([sys.executable, "-m", "brickwork", "info"], capture_output=True,
                         text=True, check=True).stdout
    assert "brickwork-transformer" in out and "brickwork_transformer>TransformerEncoder" in out


@pytest.mark.skipif(not transformer_installed(), reason="brickwork-transformer is not installed")
@pytest.mark.filterwarnings("ignore:Layer 'flatten'")
def test_plugin_layers_load_in_a_fresh_interpreter(tmp_path):
    if not hasattr(bw.Model, "save"):
        pytest.skip("this brickwork has no Model.save yet")
    tokens = bw.Input((4,), dtype="int32")
    x = layers.TransformerEncoder(8, 2)(layers.TokenAndPositionEmbedding(10, 4, 4)(tokens))
    model = bw.Model(tokens, layers.Dense(2)(layers.Flatten()(x)))
    data = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "want.npy", ops.convert_to_numpy(model.predict(data, verbose=0)))
    # Nothing imports the plugin: loading finds its layers through the entry point.
    result = run_python(f"""
        import numpy as np
        import brickwork as bw
        model = bw.models.load_model({str(tmp_path / "m.keras")!r})
        got = bw.ops.convert_to_numpy(model.predict(np.array([[1, 2, 3, 4], [5, 6, 7, 8]]), verbose=0))
        print(np.allclose(got, np.load({str(tmp_path / "want.npy")!r}), rtol=1e-6, atol=1e-7))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]
