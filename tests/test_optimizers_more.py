"""Adafactor, Lamb, Muon, ScheduleFreeAdamW and MultiOptimizer/OptimizerMap
against Keras 3: variables after each of several steps of given gradients,
the optimizer's own variables (names, shapes, order: the save order) and
configs (fixtures from fixtures/make_keras_api_more.py); saving and loading
their state; signatures against the listing."""
import inspect
import json
import pathlib

import numpy as np
import pytest

import brickwork
from brickwork import layers, optimizers

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REF = json.loads((FIXTURES / "keras_api_more.json").read_text())
ARR = np.load(FIXTURES / "keras_api_more.npz")
LISTING = json.loads((FIXTURES / "keras_public_api.json").read_text())["modules"]
VARIABLES = [("dense_kernel", (5, 3)), ("wide_kernel", (3, 6)), ("bias", (3,)),
             ("token_embedding", (7, 4)), ("conv_kernel", (2, 3, 4))]
STEPS = 5
O = optimizers
CASES = {
    "adafactor": lambda: O.Adafactor(learning_rate=0.01),
    "adafactor_custom": lambda: O.Adafactor(
        learning_rate=0.5, beta_2_decay=-0.5, epsilon_1=1e-20, epsilon_2=1e-2,
        clip_threshold=0.5, relative_step=False, weight_decay=0.01, global_clipnorm=2.0),
    "adafactor_schedule": lambda: O.Adafactor(
        learning_rate=O.schedules.ExponentialDecay(0.05, 2, 0.5)),
    "lamb": lambda: O.Lamb(learning_rate=0.01),
    "lamb_custom": lambda: O.Lamb(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-5,
                                  weight_decay=0.05, clipnorm=0.5),
    "lamb_ema": lambda: O.Lamb(learning_rate=0.01, use_ema=True, ema_momentum=0.9),
    "muon": lambda: O.Muon(learning_rate=0.01),
    "muon_custom": lambda: O.Muon(
        learning_rate=0.02, adam_beta_1=0.8, adam_beta_2=0.99, adam_weight_decay=0.1,
        weight_decay=0.05, exclude_layers=["wide"], exclude_embeddings=False,
        adam_lr_ratio=0.5, momentum=0.9, ns_steps=3, nesterov=False, rms_rate=None),
    "schedule_free_adamw": lambda: O.ScheduleFreeAdamW(learning_rate=0.01),
    "schedule_free_adamw_warmup": lambda: O.ScheduleFreeAdamW(
        learning_rate=0.02, beta_1=0.8, warmup_steps=3, weight_decay=0.01, epsilon=1e-6),
    "multi": lambda: O.MultiOptimizer(O.OptimizerMap(
        O.SGD(learning_rate=0.1, momentum=0.9),
        {"bias": O.Adam(learning_rate=0.01), ".*kernel": O.Lamb(learning_rate=0.01)}),
        loss_scale_factor=4.0),
}
NEW_NAMES = ["Adafactor", "Lamb", "Muon", "ScheduleFreeAdamW", "MultiOptimizer", "OptimizerMap"]


def _variables():
    return [brickwork.Variable(ARR[f"opt/initial/{name}"].copy(), name=name)
            for name, _ in VARIABLES]


def _grads(step):
    return [ARR[f"opt/grad/{step}/{name}"] for name, _ in VARIABLES]


def _relative_error(got, expected):
    """The largest difference relative to the array's largest magnitude."""
    return float(np.max(np.abs(np.asarray(got, np.float64) - expected)) /
                 max(np.max(np.abs(expected)), 1e-30))


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_match_keras(case):
    variables = _variables()
    optimizer = CASES[case]()
    worst = 0.0
    for step in range(STEPS):
        optimizer.apply(_grads(step), variables)
        for (name, _), variable in zip(VARIABLES, variables):
            expected = ARR[f"opt/{case}/step{step}/{name}"]
            worst = max(worst, _relative_error(variable.numpy(), expected))
            np.testing.assert_allclose(variable.numpy(), expected, rtol=2e-6, atol=2e-7,
                                       err_msg=f"{name} after step {step}")
    assert worst < 2e-6
    spec = REF["optimizers"][case]
    assert int(brickwork.ops.convert_to_numpy(optimizer.iterations)) == spec["iterations"]
    got = [[v.path, list(v.shape)] for v in optimizer.variables]
    assert got == [[path, shape] for path, shape, _ in spec["variables"]]
    for i, (variable, (path, _, dtype)) in enumerate(zip(optimizer.variables, spec["variables"])):
        if not path.endswith("iteration"):  # brickwork counts steps in int64
            assert str(variable.dtype) == dtype, path
        np.testing.assert_allclose(variable.numpy(), ARR[f"opt/{case}/slot/{i}"], rtol=2e-6,
                                   atol=2e-7, err_msg=path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_matches_keras_and_round_trips(case):
    optimizer = CASES[case]()
    expected = REF["optimizers"][case]["config"]
    config = optimizer.get_config()
    if case == "multi":
        assert config["loss_scale_factor"] == expected["loss_scale_factor"]
        inner = config["optimizer_map"]["config"]
        keras_inner = expected["optimizer_map"]["config"]
        assert inner["default_optimizer"]["config"] == keras_inner["default_optimizer"]["config"]
        assert sorted(inner["optimizer_map"]) == sorted(keras_inner["optimizer_map"])
        for key, value in inner["optimizer_map"].items():
            assert value["config"] == keras_inner["optimizer_map"][key]["config"]
        # and a config written by Keras (torch module names) loads
        restored = optimizers.deserialize({"module": "keras.optimizers",
                                           "class_name": "MultiOptimizer",
                                           "config": expected})
        assert isinstance(restored, optimizers.MultiOptimizer)
        assert isinstance(restored._optimizer_map["bias"], optimizers.Adam)
        assert restored.loss_scale_factor == 4.0
        assert all(o.loss_scale_factor == 4.0 for o in restored.optimizers)
    else:
        assert json.loads(json.dumps(config)) == expected
        restored = optimizers.deserialize(optimizers.serialize(optimizer))
        assert type(restored) is type(optimizer)
        assert restored.get_config() == config


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_saves_and_loads(case, tmp_path):
    """Stepping, saving, loading into a fresh optimizer and stepping on gives
    what stepping straight through gives."""
    variables = _variables()
    optimizer = CASES[case]()
    for step in range(3):
        optimizer.apply(_grads(step), variables)
    store = {}
    optimizer.save_own_variables(store)
    assert len(store) == len(REF["optimizers"][case]["variables"])
    values = [v.numpy().copy() for v in variables]
    fresh_vars = [brickwork.Variable(value, name=name) for value, (name, _) in
                  zip(values, VARIABLES)]
    fresh = CASES[case]()
    fresh.build(fresh_vars)
    fresh.load_own_variables(store)
    for step in range(3, STEPS):
        optimizer.apply(_grads(step), variables)
        fresh.apply(_grads(step), fresh_vars)
    for a, b in zip(variables, fresh_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("case", ["adafactor", "lamb", "muon", "schedule_free_adamw", "multi"])
def test_model_with_optimizer_saves_and_loads(case, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = rng.standard_normal((32, 2)).astype("float32")
    model = brickwork.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                                  layers.Dense(2)])
    model.compile(optimizer=CASES[case](), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = brickwork.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_optimizer_map_lookup():
    adam, sgd, rms = O.Adam(), O.SGD(), O.RMSprop()
    mapping = O.OptimizerMap(default_optimizer=rms)
    mapping["encoder/layer_0/dense"] = adam
    mapping["encoder/.*"] = sgd
    mapping["decoder"] = adam
    assert mapping["decoder"] is adam
    assert mapping["encoder/layer_0/dense"] is adam
    assert mapping["encoder/layer_0/attention/query"] is sgd
    assert mapping["decoder/layer_0/dense"] is rms
    with pytest.raises(ValueError, match="already exists"):
        mapping["decoder"] = sgd
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        mapping["x"] = O.LossScaleOptimizer(O.SGD())
    mapping["enc.*"] = O.SGD()
    with pytest.raises(ValueError, match="Multiple optimizers"):
        mapping["encoder/x"]
    with pytest.raises(TypeError):
        O.OptimizerMap("adam")


def test_multi_optimizer_with_callable_and_refused_learning_rate():
    variables = _variables()
    first, second = O.SGD(learning_rate=0.1), O.Adam()

    def choose(variable):
        return first if variable.path.endswith("kernel") else second

    multi = O.MultiOptimizer(choose)
    multi.apply(_grads(0), variables)
    assert multi.optimizers == [first, second]
    assert int(first.iterations.numpy()) == 1 and int(multi.iterations.numpy()) == 1
    np.testing.assert_allclose(variables[0].numpy(),
                               ARR["opt/initial/dense_kernel"] - 0.1 * _grads(0)[0], rtol=1e-6)
    with pytest.raises(AttributeError):
        multi.learning_rate
    with pytest.raises(AttributeError):
        multi.learning_rate = 0.1


def test_legacy_names_raise_import_error():
    with pytest.raises(ImportError, match="not supported in Keras 3"):
        optimizers.legacy.Adam()


def test_get_by_name():
    assert isinstance(optimizers.get("adafactor"), optimizers.Adafactor)
    assert isinstance(optimizers.get("Lamb"), optimizers.Lamb)
    assert isinstance(optimizers.get("muon"), optimizers.Muon)
    assert isinstance(optimizers.get("ScheduleFreeAdamW"), optimizers.ScheduleFreeAdamW)


@pytest.mark.parametrize("name", NEW_NAMES)
def test_signature_matches_keras_listing(name):
    got = [[p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
           for p in inspect.signature(getattr(optimizers, name)).parameters.values()]
    assert got == LISTING["optimizers"][name]["parameters"]


@pytest.mark.parametrize("case", sorted(REF["archives"]))
def test_keras_archive_with_optimizer_loads_and_resumes_as_keras(case):
    """A .keras file Keras saved after fitting with the optimizer: the
    optimizer's variables load in Keras' order, and one more epoch gives
    Keras' weights."""
    model = brickwork.models.load_model(FIXTURES / "keras_api_more_archives" / f"{case}.keras")
    variables = model.optimizer.variables
    # Keras 3.15 prefixes a Sequential's name to its layers' variable paths
    # ("mlp/hidden/kernel", so "mlp_hidden_kernel_momentum"); brickwork's
    # paths are "hidden/kernel". Slots are saved by position, not by name.
    assert [[v.path.split("/")[-1], list(v.shape)] for v in variables] == \
        [[path.split("/")[-1].replace("mlp_", "", 1), shape]
         for path, shape in REF["archives"][case]]
    for i, variable in enumerate(variables):
        np.testing.assert_allclose(variable.numpy(), ARR[f"archive/{case}/optimizer/{i}"],
                                   rtol=1e-6, atol=1e-7, err_msg=variable.path)
    model.fit(ARR["archive/x"], ARR["archive/y"], epochs=1, batch_size=8, shuffle=False,
              verbose=0)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, ARR[f"archive/{case}/resumed/{i}"], rtol=1e-5,
                                   atol=1e-6, err_msg=f"weight {i}")
