"""Optimizers and learning rate schedules against independent float64 references.

The references below are transcriptions of Keras 3's update rules written
with plain NumPy in float64; they share no code with brickwork. Each update
case also checks that the feature it exercises changes the result by far more
than the tolerance, so a case cannot pass by accident.
"""
import json
import math
import pathlib
import warnings

import numpy as np
import pytest

import brickwork
from brickwork import constraints, optimizers
from brickwork.optimizers import schedules

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras_configs.json"
STEP_SCALES = (1.0, 0.5, 2.0, 0.1, 0.05)  # gradient sizes that rise and fall (AMSGrad, clipping)
SHAPES = {"kernel": (3, 2), "bias": (2,)}


def f32(x):
    """The float32 value Keras keeps a Python float in."""
    return float(np.float32(x))


# ---------------------------------------------------------------------------
# Float64 references of Keras' update rules
# ---------------------------------------------------------------------------


def ref_sgd(momentum=0.0, nesterov=False):
    def update(state, w, g, lr, step):
        if momentum == 0:
            return w - lr * g
        m = momentum * state.get("m", np.zeros_like(w)) - lr * g
        state["m"] = m
        return w + (momentum * m - lr * g if nesterov else m)
    return update


def ref_adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def update(state, w, g, lr, step):
        t = step + 1
        m = beta_1 * state.get("m", np.zeros_like(w)) + (1 - beta_1) * g
        v = beta_2 * state.get("v", np.zeros_like(w)) + (1 - beta_2) * g * g
        state["m"], state["v"] = m, v
        if amsgrad:
            state["vhat"] = np.maximum(state.get("vhat", np.zeros_like(w)), v)
            v = state["vhat"]
        m_hat_scale = 1 / (1 - beta_1**t)
        v_hat_scale = 1 / (1 - beta_2**t)
        return w - lr * m * m_hat_scale / (np.sqrt(v) * math.sqrt(v_hat_scale)
                                           + epsilon * math.sqrt(v_hat_scale))
    return update


def ref_rmsprop(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def update(state, w, g, lr, step):
        v = rho * state.get("v", np.zeros_like(w)) + (1 - rho) * g * g
        state["v"] = v
        mean_square = v
        if centered:
            a = rho * state.get("a", np.zeros_like(w)) + (1 - rho) * g
            state["a"] = a
            mean_square = v - a * a
        increment = lr * g / np.sqrt(mean_square + epsilon)
        if momentum > 0:
            state["m"] = momentum * state.get("m", np.zeros_like(w)) + increment
            return w - state["m"]
        return w - increment
    return update


def ref_clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    if clipnorm:
        return [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        return [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
    if clipvalue:
        return [np.minimum(np.maximum(g, -clipvalue), clipvalue) for g in grads]
    return grads


def run_reference(update, weights, grad_steps, lr_at, weight_decay=None, decay_mask=None,
                  **clip):
    """Apply Keras' step order in float64: clip, decay, update. Returns weights, states."""
    weights = [np.array(w, dtype=np.float64) for w in weights]
    states = [{} for _ in weights]
    decay_mask = decay_mask or [True] * len(weights)
    for step, grads in enumerate(grad_steps):
        grads = ref_clip([np.asarray(g, np.float64) for g in grads], **clip)
        lr = lr_at(step)
        if weight_decay is not None:
            weights = [w - w * weight_decay * lr if decay else w
                       for w, decay in zip(weights, decay_mask)]
        weights = [update(s, w, g, lr, step) for s, w, g in zip(states, weights, grads)]
    return weights, states


# ---------------------------------------------------------------------------
# Running brickwork
# ---------------------------------------------------------------------------


def make_problem(seed=0, steps=5):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=shape) for shape in SHAPES.values()]
    grad_steps = [[scale * rng.normal(size=shape) for shape in SHAPES.values()]
                  for scale in STEP_SCALES[:steps]]
    return weights, grad_steps


def make_variables(weights, dtype="float32", **kwargs):
    variables = []
    for name, w in zip(SHAPES, weights):
        variable = brickwork.Variable(np.asarray(w, dtype=dtype), dtype=dtype, name=name,
                                      **kwargs)
        variable.path = f"dense/{name}"
        variables.append(variable)
    return variables


def run_brickwork(optimizer, weights, grad_steps, dtype="float32"):
    variables = make_variables(weights, dtype)
    for grads in grad_steps:
        optimizer.apply_gradients(zip([np.asarray(g, dtype) for g in grads], variables))
    return [v.numpy() for v in variables]


def assert_weights_close(actual, expected, dtype):
    tolerance = {"float32": dict(rtol=2e-6, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-13)}
    for a, e in zip(actual, expected):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, e, **tolerance[dtype])


def max_difference(weights_a, weights_b):
    return max(float(np.max(np.abs(a - b))) for a, b in zip(weights_a, weights_b))


# Each case: (brickwork optimizer, its kwargs, reference update, reference
# extras, and the kwargs of a baseline whose result must differ: the case
# then proves the feature under test has an effect larger than the tolerance).
UPDATE_CASES = {
    "sgd": (optimizers.SGD, dict(learning_rate=0.1), ref_sgd(), {}, None),
    "sgd_momentum": (optimizers.SGD, dict(learning_rate=0.1, momentum=0.9),
                     ref_sgd(0.9), {}, dict(learning_rate=0.1)),
    "sgd_nesterov": (optimizers.SGD, dict(learning_rate=0.1, momentum=0.9, nesterov=True),
                     ref_sgd(0.9, True), {}, dict(learning_rate=0.1, momentum=0.9)),
    "adam": (optimizers.Adam, dict(learning_rate=0.01), ref_adam(), {}, None),
    "adam_hyper": (optimizers.Adam, dict(learning_rate=0.02, beta_1=0.8, beta_2=0.9,
                                         epsilon=1e-3),
                   ref_adam(0.8, 0.9, 1e-3), {}, dict(learning_rate=0.02)),
    "adam_amsgrad": (optimizers.Adam, dict(learning_rate=0.02, beta_2=0.9, amsgrad=True),
                     ref_adam(beta_2=0.9, amsgrad=True), {},
                     dict(learning_rate=0.02, beta_2=0.9)),
    "rmsprop": (optimizers.RMSprop, dict(learning_rate=0.01), ref_rmsprop(), {}, None),
    "rmsprop_momentum": (optimizers.RMSprop, dict(learning_rate=0.01, momentum=0.5),
                         ref_rmsprop(momentum=0.5), {}, dict(learning_rate=0.01)),
    "rmsprop_centered": (optimizers.RMSprop, dict(learning_rate=0.01, centered=True),
                         ref_rmsprop(centered=True), {}, dict(learning_rate=0.01)),
    "rmsprop_centered_momentum": (
        optimizers.RMSprop, dict(learning_rate=0.01, rho=0.8, momentum=0.9, centered=True),
        ref_rmsprop(rho=0.8, momentum=0.9, centered=True), {},
        dict(learning_rate=0.01, rho=0.8, centered=True)),
    "sgd_clipnorm": (optimizers.SGD, dict(learning_rate=0.1, clipnorm=0.5), ref_sgd(),
                     dict(clipnorm=0.5), dict(learning_rate=0.1)),
    "adam_clipvalue": (optimizers.Adam, dict(learning_rate=0.01, clipvalue=0.3), ref_adam(),
                       dict(clipvalue=0.3), dict(learning_rate=0.01)),
    "rmsprop_global_clipnorm": (
        optimizers.RMSprop, dict(learning_rate=0.01, momentum=0.5, global_clipnorm=1.0),
        ref_rmsprop(momentum=0.5), dict(global_clipnorm=1.0),
        dict(learning_rate=0.01, momentum=0.5)),
    "sgd_global_clipnorm_momentum": (
        optimizers.SGD, dict(learning_rate=0.1, momentum=0.9, global_clipnorm=0.7),
        ref_sgd(0.9), dict(global_clipnorm=0.7), dict(learning_rate=0.1, momentum=0.9)),
    "sgd_weight_decay": (optimizers.SGD, dict(learning_rate=0.1, momentum=0.9, weight_decay=0.2),
                         ref_sgd(0.9), dict(weight_decay=0.2),
                         dict(learning_rate=0.1, momentum=0.9)),
    "adam_weight_decay": (optimizers.Adam, dict(learning_rate=0.01, weight_decay=0.5),
                          ref_adam(), dict(weight_decay=0.5), dict(learning_rate=0.01)),
    "rmsprop_weight_decay_clipnorm": (
        optimizers.RMSprop, dict(learning_rate=0.01, weight_decay=0.3, clipnorm=0.4),
        ref_rmsprop(), dict(weight_decay=0.3, clipnorm=0.4), dict(learning_rate=0.01)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(UPDATE_CASES))
def test_update_matches_float64_reference(case, dtype, backend_name):
    cls, kwargs, update, extras, baseline = UPDATE_CASES[case]
    weights, grad_steps = make_problem()
    lr = f32(kwargs["learning_rate"])
    expected, _ = run_reference(update, weights, grad_steps, lambda step: lr, **extras)
    actual = run_brickwork(cls(**kwargs), weights, grad_steps, dtype)
    assert_weights_close(actual, expected, dtype)
    if baseline is not None:
        without_feature = run_brickwork(cls(**baseline), weights, grad_steps, "float64")
        assert max_difference(without_feature, expected) > 1e-4


def test_every_step_matches_reference(backend_name):
    """Step by step, not only after the last one."""
    weights, grad_steps = make_problem()
    optimizer = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    variables = make_variables(weights)
    for n in range(1, len(grad_steps) + 1):
        optimizer.apply_gradients(zip([g.astype("float32") for g in grad_steps[n - 1]],
                                      variables))
        expected, _ = run_reference(ref_adam(amsgrad=True), weights, grad_steps[:n],
                                    lambda step: f32(0.05))
        assert_weights_close([v.numpy() for v in variables], expected, "float32")
        assert int(optimizer.iterations.numpy()) == n


def test_slot_variables_hold_the_optimizer_state():
    weights, grad_steps = make_problem()
    optimizer = optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True)
    run_brickwork(optimizer, weights, grad_steps, "float64")
    _, states = run_reference(ref_rmsprop(momentum=0.5, centered=True), weights, grad_steps,
                              lambda step: f32(0.01))
    slots = {v.name: v.numpy() for v in optimizer.variables}
    for name, state in zip(SHAPES, states):
        np.testing.assert_allclose(slots[f"dense_{name}_velocity"], state["v"], rtol=1e-12)
        np.testing.assert_allclose(slots[f"dense_{name}_momentum"], state["m"], rtol=1e-12)
        np.testing.assert_allclose(slots[f"dense_{name}_average_gradient"], state["a"],
                                   rtol=1e-12)


def test_weight_decay_exclusions():
    weights, grad_steps = make_problem()
    expected, _ = run_reference(ref_sgd(), weights, grad_steps, lambda step: f32(0.1),
                                weight_decay=0.2, decay_mask=[True, False])
    by_name = optimizers.SGD(learning_rate=0.1, weight_decay=0.2)
    by_name.exclude_from_weight_decay(var_names=["bias"])
    assert_weights_close(run_brickwork(by_name, weights, grad_steps, "float64"), expected,
                         "float64")

    variables = make_variables(weights, "float64")
    by_list = optimizers.SGD(learning_rate=0.1, weight_decay=0.2)
    by_list.exclude_from_weight_decay(var_list=[variables[1]])
    for grads in grad_steps:
        by_list.apply(grads, variables)
    assert_weights_close([v.numpy() for v in variables], expected, "float64")


def test_loss_scale_factor_divides_gradients():
    weights, grad_steps = make_problem()
    expected, _ = run_reference(ref_sgd(0.9), weights, [[g / 4 for g in gs] for gs in grad_steps],
                                lambda step: f32(0.1))
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9, loss_scale_factor=4.0)
    assert_weights_close(run_brickwork(optimizer, weights, grad_steps, "float64"), expected,
                         "float64")
    assert optimizer.scale_loss(2.0) == 8.0


def test_gradient_accumulation_averages_then_updates():
    weights, grad_steps = make_problem()
    grad_steps = grad_steps + grad_steps[:1]  # 6 calls -> 3 updates
    averaged = [[(a + b) / 2 for a, b in zip(grad_steps[i], grad_steps[i + 1])]
                for i in range(0, 6, 2)]
    expected, _ = run_reference(ref_adam(), weights, averaged, lambda step: f32(0.01))
    optimizer = optimizers.Adam(learning_rate=0.01, gradient_accumulation_steps=2)
    variables = make_variables(weights, "float64")
    for call, grads in enumerate(grad_steps):
        before = [v.numpy() for v in variables]
        optimizer.apply(grads, variables)
        if call % 2 == 0:  # accumulating: weights untouched
            assert max_difference(before, [v.numpy() for v in variables]) == 0
    assert_weights_close([v.numpy() for v in variables], expected, "float64")
    assert int(optimizer._iterations.numpy()) == 6
    assert int(optimizer.iterations) == 3


def test_ema_tracks_and_overwrites_weights():
    weights, grad_steps = make_problem()
    lr, ema_momentum, frequency = f32(0.05), 0.9, 3
    update = ref_adam()
    current = [np.array(w) for w in weights]
    averages = [np.zeros_like(w) for w in weights]
    states = [{} for _ in weights]
    for step, grads in enumerate(grad_steps):
        current = [update(s, w, g, lr, step) for s, w, g in zip(states, current, grads)]
        m = ema_momentum if step else 0.0
        averages = [m * a + (1 - m) * w for a, w in zip(averages, current)]
        if (step + 1) % frequency == 0:
            current = [a.copy() for a in averages]

    optimizer = optimizers.Adam(learning_rate=0.05, use_ema=True, ema_momentum=ema_momentum,
                                ema_overwrite_frequency=frequency)
    variables = make_variables(weights, "float64")
    for grads in grad_steps:
        optimizer.apply(grads, variables)
    assert_weights_close([v.numpy() for v in variables], current, "float64")
    stored = [v.numpy() for v in optimizer.variables if v.name.endswith("_average")]
    assert_weights_close(stored, averages, "float64")
    optimizer.finalize_variable_values(variables)
    assert_weights_close([v.numpy() for v in variables], averages, "float64")


def test_constraints_apply_after_the_update():
    variable = brickwork.Variable(np.array([0.05, 1.0, -0.2], "float32"), name="w",
                                  constraint=constraints.NonNeg())
    optimizers.SGD(learning_rate=0.1).apply([np.array([1.0, 1.0, -1.0], "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.0, 0.9, 0.0], atol=1e-7)


def test_none_gradients_are_skipped_with_a_warning():
    weights, grad_steps = make_problem(steps=1)
    variables = make_variables(weights)
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="dense/bias"):
        optimizer.apply([grad_steps[0][0].astype("float32"), None], variables)
    np.testing.assert_allclose(variables[1].numpy(), weights[1].astype("float32"))
    np.testing.assert_allclose(variables[0].numpy(), weights[0] - f32(0.1) * grad_steps[0][0],
                               rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="No gradients"):
        optimizer.apply([None, None], variables)
    assert int(optimizer.iterations.numpy()) == 1


def test_gradients_without_variables_need_a_built_optimizer():
    weights, grad_steps = make_problem(steps=1)
    optimizer = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply(grad_steps[0])
    variables = make_variables(weights)
    optimizer.build(variables)
    optimizer.apply([g.astype("float32") for g in grad_steps[0]])
    assert int(optimizer.iterations.numpy()) == 1
    stranger = brickwork.Variable(np.zeros(2, "float32"), name="stranger")
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([np.zeros(2, "float32")], [stranger])


# ---------------------------------------------------------------------------
# Variables: names, order, dtypes
# ---------------------------------------------------------------------------


def variable_names(optimizer):
    weights, _ = make_problem()
    optimizer.build(make_variables(weights))
    return [v.path for v in optimizer.variables]


def test_adam_variables_in_keras_order():
    names = variable_names(optimizers.Adam(amsgrad=True, use_ema=True))
    assert names == [
        "adam/iteration", "adam/learning_rate",
        "adam/dense_kernel_average", "adam/dense_bias_average",
        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat"]


def test_rmsprop_and_sgd_variables_in_keras_order():
    assert variable_names(optimizers.RMSprop(momentum=0.5, centered=True)) == [
        "rm_sprop/iteration", "rm_sprop/learning_rate",
        "rm_sprop/dense_kernel_velocity", "rm_sprop/dense_bias_velocity",
        "rm_sprop/dense_kernel_momentum", "rm_sprop/dense_bias_momentum",
        "rm_sprop/dense_kernel_average_gradient", "rm_sprop/dense_bias_average_gradient"]
    assert variable_names(optimizers.SGD()) == ["sgd/iteration", "sgd/learning_rate"]
    assert variable_names(optimizers.SGD(momentum=0.9, gradient_accumulation_steps=2)) == [
        "sgd_1/iteration", "sgd_1/learning_rate",
        "sgd_1/dense_kernel_gradient_accumulator", "sgd_1/dense_bias_gradient_accumulator",
        "sgd_1/dense_kernel_momentum", "sgd_1/dense_bias_momentum"]


def test_counter_and_learning_rate_variables():
    optimizer = optimizers.Adam()
    iterations, learning_rate = optimizer.variables
    assert iterations is optimizer.iterations
    assert (iterations.dtype, iterations.trainable) == ("int64", False)
    assert (learning_rate.dtype, learning_rate.trainable) == ("float32", False)
    assert float(optimizer.learning_rate) == f32(0.001)
    slots = optimizers.Adam()
    slots.build(make_variables(make_problem()[0], "float64"))
    assert all(v.dtype == "float64" and not v.trainable for v in slots.variables[2:])


def test_learning_rate_setter():
    weights, grad_steps = make_problem(steps=2)
    optimizer = optimizers.SGD(learning_rate=0.1)
    variables = make_variables(weights, "float64")
    optimizer.apply(grad_steps[0], variables)
    optimizer.learning_rate = 0.5
    optimizer.apply(grad_steps[1], variables)
    expected, _ = run_reference(ref_sgd(), weights, grad_steps, lambda s: f32([0.1, 0.5][s]))
    assert_weights_close([v.numpy() for v in variables], expected, "float64")
    assert optimizer.get_config()["learning_rate"] == 0.5

    scheduled = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        scheduled.learning_rate = 0.5
    optimizer.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert [v.name for v in optimizer.variables] == ["iteration"]


def test_save_and_load_own_variables():
    weights, grad_steps = make_problem()
    trained = optimizers.Adam(learning_rate=0.01)
    run_brickwork(trained, weights, grad_steps)
    store = {}
    trained.save_own_variables(store)
    assert sorted(store) == [str(i) for i in range(6)]

    fresh = optimizers.Adam(learning_rate=0.01)
    fresh.build(make_variables(weights))
    fresh.load_own_variables(store)
    for a, b in zip(trained.variables, fresh.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)


# ---------------------------------------------------------------------------
# Configs, serialization, get
# ---------------------------------------------------------------------------

KERAS_CONFIGS = json.loads(FIXTURES.read_text())["optimizers"]
FIXTURE_BUILDERS = {
    "SGD()": lambda: optimizers.SGD(),
    "SGD(learning_rate=0.05, momentum=0.9, nesterov=True)":
        lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "Adam()": lambda: optimizers.Adam(),
    "RMSprop()": lambda: optimizers.RMSprop(),
}


def test_get_config_matches_keras():
    # Built in the fixture's order so that automatic names match too (sgd, sgd_1, ...).
    assert set(FIXTURE_BUILDERS) <= set(KERAS_CONFIGS)
    for key, build in FIXTURE_BUILDERS.items():
        config = build().get_config()
        expected = KERAS_CONFIGS[key]
        assert list(config) == list(expected), key
        for name, value in expected.items():
            assert config[name] == value and type(config[name]) is type(value), (key, name)


def test_serialize_matches_keras():
    expected = KERAS_CONFIGS["serialize_keras_object(Adam())"]
    serialized = optimizers.serialize(optimizers.Adam(name="adam_1"))
    assert serialized["class_name"] == "Adam"
    assert serialized["module"] == "keras.optimizers"
    assert serialized["config"] == expected["config"]


def test_deserialize_keras_dicts():
    # Keras on torch writes the torch subclass' module; both forms load.
    keras_dict = KERAS_CONFIGS["serialize_keras_object(Adam())"]
    for config in (keras_dict, {**keras_dict, "module": "keras.optimizers",
                                "registered_name": None}):
        optimizer = optimizers.deserialize(config)
        assert type(optimizer) is optimizers.Adam
        assert optimizer.get_config() == keras_dict["config"]
    assert type(optimizers.deserialize({"class_name": "rmsprop", "config": {}})) is \
        optimizers.RMSprop


ROUND_TRIP = [
    lambda: optimizers.SGD(learning_rate=0.3, momentum=0.5, nesterov=True, clipnorm=1.0,
                           name="my_sgd"),
    lambda: optimizers.Adam(learning_rate=0.02, beta_1=0.8, amsgrad=True, weight_decay=0.01,
                            use_ema=True, ema_overwrite_frequency=5),
    lambda: optimizers.RMSprop(rho=0.8, momentum=0.2, centered=True, global_clipnorm=2.0,
                               gradient_accumulation_steps=3, loss_scale_factor=8.0),
    lambda: optimizers.Adam(learning_rate=schedules.CosineDecay(
        0.0, 100, alpha=0.1, warmup_target=0.01, warmup_steps=10)),
]


@pytest.mark.parametrize("build", ROUND_TRIP)
def test_from_config_round_trip(build):
    optimizer = build()
    config = optimizer.get_config()
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    assert type(clone._learning_rate) is type(optimizer._learning_rate)
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(optimizer))))
    assert again.get_config() == config


def test_get_accepts_names_dicts_and_instances():
    for name, cls in [("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("Adam", optimizers.Adam),
                      ("ADAM", optimizers.Adam), ("rmsprop", optimizers.RMSprop),
                      ("RMSprop", optimizers.RMSprop)]:
        assert type(optimizers.get(name)) is cls
    instance = optimizers.Adam()
    assert optimizers.get(instance) is instance
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5}})
    assert float(from_dict.learning_rate) == 0.5


def test_unknown_optimizer_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'adamm'.*adam, .*rmsprop, .*sgd"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


def test_invalid_arguments_are_rejected_as_keras_does():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="should be float"):
        optimizers.SGD(learning_rate=1)  # Keras wants a float, not an int
    with pytest.raises(ValueError, match="should be float"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="`momentum` must be a float"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.Adam(betta_1=0.9)


def test_negative_learning_rate_is_accepted_as_in_keras():
    # Keras does not validate the sign: a negative rate ascends the gradient.
    variable = brickwork.Variable(np.zeros(2, "float32"), name="w")
    optimizers.SGD(learning_rate=-0.5).apply([np.ones(2, "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.5, 0.5])


# ---------------------------------------------------------------------------
# Learning rate schedules
# ---------------------------------------------------------------------------

STEPS = (0, 1, 5, 10, 15, 20, 37, 100, 1000)


def ref_cosine_restarts(step, lr0, first, t_mul, m_mul, alpha):
    """Walk the periods one by one (Keras uses a closed form)."""
    start, length, restart = 0.0, float(first), 0
    while step >= start + length:
        start, length, restart = start + length, length * t_mul, restart + 1
    fraction = (step - start) / length
    cosine = 0.5 * m_mul**restart * (1 + math.cos(math.pi * fraction))
    return lr0 * ((1 - alpha) * cosine + alpha)


SCHEDULE_CASES = {
    "exponential": (schedules.ExponentialDecay(0.1, 10, 0.96),
                    lambda s: 0.1 * 0.96 ** (s / 10)),
    "exponential_staircase": (schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
                              lambda s: 0.1 * 0.5 ** (s // 10)),
    "piecewise": (schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
                  lambda s: 1.0 if s <= 10 else 0.5 if s <= 20 else 0.1),
    "polynomial": (schedules.PolynomialDecay(0.1, 20, 0.01, power=2.0),
                   lambda s: (0.1 - 0.01) * (1 - min(s, 20) / 20) ** 2 + 0.01),
    "polynomial_cycle": (schedules.PolynomialDecay(0.1, 20, cycle=True),
                         lambda s: (0.1 - 0.0001) * (1 - s / (20 * max(1, math.ceil(s / 20))))
                         + 0.0001),
    "inverse_time": (schedules.InverseTimeDecay(0.1, 5, 0.5),
                     lambda s: 0.1 / (1 + 0.5 * s / 5)),
    "inverse_time_staircase": (schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
                               lambda s: 0.1 / (1 + 0.5 * (s // 5))),
    "cosine": (schedules.CosineDecay(0.1, 20, alpha=0.2),
               lambda s: 0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.2)),
    "cosine_warmup": (schedules.CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=10),
                      lambda s: 0.1 * s / 10 if s < 10 else
                      0.1 * 0.5 * (1 + math.cos(math.pi * min(s - 10, 20) / 20))),
    "cosine_restarts": (schedules.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.1),
                        lambda s: ref_cosine_restarts(s, 1.0, 10, 2.0, 0.5, 0.1)),
    "cosine_restarts_t3": (schedules.CosineDecayRestarts(0.5, 3, t_mul=3.0),
                           lambda s: ref_cosine_restarts(s, 0.5, 3, 3.0, 1.0, 0.0)),
    "cosine_restarts_t1": (schedules.CosineDecayRestarts(0.5, 7, t_mul=1.0, m_mul=0.9),
                           lambda s: ref_cosine_restarts(s, 0.5, 7, 1.0, 0.9, 0.0)),
}


@pytest.mark.parametrize("case", sorted(SCHEDULE_CASES))
def test_schedule_values(case):
    schedule, formula = SCHEDULE_CASES[case]
    for step in STEPS + (3, 12, 13, 39, 40):
        value = schedule(step)
        assert isinstance(value, float)
        assert value == pytest.approx(formula(step), rel=1e-12, abs=1e-15), step


def test_cosine_restarts_matches_keras_values():
    # Values printed by Keras 3.15 for CosineDecayRestarts(1.0, 10, 2.0, 0.5, 0.1).
    schedule = schedules.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.1)
    keras_values = {0: 1.0, 5: 0.55, 10: 0.55, 29: 0.1027701199, 30: 0.325, 31: 0.3246531784,
                    70: 0.2125, 150: 0.15625}
    for step, value in keras_values.items():
        assert schedule(step) == pytest.approx(value, rel=1e-6), step


@pytest.mark.parametrize("case", sorted(SCHEDULE_CASES))
def test_schedule_config_round_trip(case):
    schedule, _ = SCHEDULE_CASES[case]
    serialized = schedules.serialize(schedule)
    assert serialized["module"] == "keras.optimizers.schedules"
    assert serialized["class_name"] == type(schedule).__name__
    clone = schedules.deserialize(json.loads(json.dumps(serialized)))
    assert clone.get_config() == schedule.get_config()
    assert [clone(s) for s in STEPS] == [schedule(s) for s in STEPS]


def test_schedule_configs_use_keras_keys():
    assert schedules.CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}
    assert schedules.CosineDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    assert schedules.PolynomialDecay(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 0.0001,
        "power": 1.0, "cycle": False, "name": "PolynomialDecay"}
    assert schedules.PiecewiseConstantDecay([1], [0.1, 0.01]).get_config()["name"] == \
        "PiecewiseConstant"


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.9)
    with pytest.raises(ValueError, match="first_decay_steps"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="length of boundaries"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)


@pytest.mark.parametrize("cls,update", [(optimizers.SGD, ref_sgd()), (optimizers.Adam, ref_adam())])
def test_optimizer_uses_the_scheduled_rate(cls, update, backend_name):
    weights, grad_steps = make_problem()
    schedule = schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.01, 0.001])
    expected, _ = run_reference(update, weights, grad_steps, lambda step: f32(schedule(step)))
    optimizer = cls(learning_rate=schedule)
    assert [v.name for v in optimizer.variables] == ["iteration"]
    assert optimizer.learning_rate == f32(0.1)
    assert_weights_close(run_brickwork(optimizer, weights, grad_steps), expected, "float32")
    assert optimizer.learning_rate == f32(0.001)  # schedule(5)
    # A constant rate would give a clearly different result.
    constant = run_brickwork(cls(learning_rate=0.1), weights, grad_steps, "float64")
    assert max_difference(constant, expected) > 1e-3


def test_weight_decay_uses_the_scheduled_rate():
    weights, grad_steps = make_problem()
    schedule = schedules.ExponentialDecay(0.1, 2, 0.5)
    expected, _ = run_reference(ref_sgd(0.9), weights, grad_steps,
                                lambda step: f32(schedule(step)), weight_decay=0.3)
    optimizer = optimizers.SGD(learning_rate=schedule, momentum=0.9, weight_decay=0.3)
    assert_weights_close(run_brickwork(optimizer, weights, grad_steps, "float64"), expected,
                         "float64")


def test_callable_learning_rate():
    weights, grad_steps = make_problem()
    optimizer = optimizers.SGD(learning_rate=lambda: 0.25)
    expected, _ = run_reference(ref_sgd(), weights, grad_steps, lambda step: f32(0.25))
    assert_weights_close(run_brickwork(optimizer, weights, grad_steps, "float64"), expected,
                         "float64")


# ---------------------------------------------------------------------------
# Optional: against Keras itself, when it is importable here
# ---------------------------------------------------------------------------

KERAS_COMPARED = ["sgd_nesterov", "adam_amsgrad", "rmsprop_centered_momentum", "sgd_clipnorm",
                  "adam_clipvalue", "rmsprop_global_clipnorm", "adam_weight_decay"]


@pytest.mark.parametrize("case", KERAS_COMPARED)
def test_against_keras(case):
    keras = pytest.importorskip("keras")
    cls, kwargs, _, _, _ = UPDATE_CASES[case]
    weights, grad_steps = make_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras_optimizer = getattr(keras.optimizers, cls.__name__)(**kwargs)
        keras_variables = [keras.Variable(w.astype("float32"), name=n)
                           for n, w in zip(SHAPES, weights)]
        for grads in grad_steps:
            keras_optimizer.apply_gradients(
                zip([keras.ops.convert_to_tensor(g.astype("float32")) for g in grads],
                    keras_variables))
    expected = [keras.ops.convert_to_numpy(v.value) for v in keras_variables]
    actual = run_brickwork(cls(**kwargs), weights, grad_steps)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-6)



# ---------------------------------------------------------------------------
# AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl
# ---------------------------------------------------------------------------


def ref_adagrad(initial_accumulator_value=0.1, epsilon=1e-7):
    def update(state, w, g, lr, step):
        acc = state.get("acc", np.full_like(w, initial_accumulator_value)) + g * g
        state["acc"] = acc
        return w - lr * g / np.sqrt(acc + epsilon)
    return update


def ref_adadelta(rho=0.95, epsilon=1e-7):
    def update(state, w, g, lr, step):
        acc_g = rho * state.get("acc_g", np.zeros_like(w)) + (1 - rho) * g * g
        acc_d = state.get("acc_d", np.zeros_like(w))
        delta = -np.sqrt(acc_d + epsilon) / np.sqrt(acc_g + epsilon) * g
        state["acc_g"], state["acc_d"] = acc_g, rho * acc_d + (1 - rho) * delta * delta
        return w + lr * delta
    return update


def ref_adamax(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def update(state, w, g, lr, step):
        m = beta_1 * state.get("m", np.zeros_like(w)) + (1 - beta_1) * g
        u = np.maximum(beta_2 * state.get("u", np.zeros_like(w)), np.abs(g))
        state["m"], state["u"] = m, u
        return w - lr / (1 - beta_1 ** (step + 1)) * m / (u + epsilon)
    return update


def ref_nadam(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def schedule(t):
        return beta_1 * (1 - 0.5 * 0.96**t)

    def update(state, w, g, lr, step):
        t = step + 1
        product = state.get("product", 1.0) * schedule(t)
        state["product"] = product
        m = beta_1 * state.get("m", np.zeros_like(w)) + (1 - beta_1) * g
        v = beta_2 * state.get("v", np.zeros_like(w)) + (1 - beta_2) * g * g
        state["m"], state["v"] = m, v
        m_hat = (schedule(t + 1) * m / (1 - product * schedule(t + 1))
                 + (1 - schedule(t)) * g / (1 - product))
        return w - lr * m_hat / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
    return update


def ref_lion(beta_1=0.9, beta_2=0.99):
    def update(state, w, g, lr, step):
        m = state.get("m", np.zeros_like(w))
        state["m"] = beta_2 * m + (1 - beta_2) * g
        return w - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    return update


def ref_ftrl(learning_rate_power=-0.5, initial_accumulator_value=0.1, l1=0.0, l2=0.0,
             l2_shrinkage=0.0, beta=0.0):
    def update(state, w, g, lr, step):
        n = state.get("n", np.full_like(w, initial_accumulator_value))
        z = state.get("z", np.zeros_like(w))
        p = -learning_rate_power
        n_new = n + g * g
        z = z + g + 2 * l2_shrinkage * w - (n_new**p - n**p) / lr * w
        quadratic = n_new**p / lr + 2 * (l2 + beta / (2 * lr))
        state["n"], state["z"] = n_new, z
        return (np.clip(z, -l1, l1) - z) / quadratic
    return update


NEW_OPTIMIZERS = {
    "adamw": (optimizers.AdamW, dict(learning_rate=0.01), ref_adam(), dict(weight_decay=0.004)),
    "adamw_amsgrad": (optimizers.AdamW, dict(learning_rate=0.02, weight_decay=0.1, beta_2=0.9,
                                             amsgrad=True),
                      ref_adam(beta_2=0.9, amsgrad=True), dict(weight_decay=0.1)),
    "adagrad": (optimizers.Adagrad, dict(learning_rate=0.1), ref_adagrad(), {}),
    "adagrad_hyper": (optimizers.Adagrad, dict(learning_rate=0.1, initial_accumulator_value=0.5,
                                               epsilon=1e-3),
                      ref_adagrad(0.5, 1e-3), {}),
    "adadelta": (optimizers.Adadelta, dict(learning_rate=1.0), ref_adadelta(), {}),
    "adadelta_hyper": (optimizers.Adadelta, dict(learning_rate=0.5, rho=0.8, epsilon=1e-4),
                       ref_adadelta(0.8, 1e-4), {}),
    "adamax": (optimizers.Adamax, dict(learning_rate=0.01), ref_adamax(), {}),
    "adamax_hyper": (optimizers.Adamax, dict(learning_rate=0.02, beta_1=0.7, beta_2=0.8,
                                             epsilon=1e-3),
                     ref_adamax(0.7, 0.8, 1e-3), {}),
    "nadam": (optimizers.Nadam, dict(learning_rate=0.01), ref_nadam(), {}),
    "nadam_hyper": (optimizers.Nadam, dict(learning_rate=0.02, beta_1=0.8, beta_2=0.9),
                    ref_nadam(0.8, 0.9), {}),
    "lion": (optimizers.Lion, dict(learning_rate=0.01), ref_lion(), {}),
    "lion_hyper": (optimizers.Lion, dict(learning_rate=0.01, beta_1=0.5, beta_2=0.7),
                   ref_lion(0.5, 0.7), {}),
    "ftrl": (optimizers.Ftrl, dict(learning_rate=0.1), ref_ftrl(), {}),
    "ftrl_regularized": (
        optimizers.Ftrl, dict(learning_rate=0.1, learning_rate_power=-0.7,
                              initial_accumulator_value=0.2, l1_regularization_strength=0.05,
                              l2_regularization_strength=0.02,
                              l2_shrinkage_regularization_strength=0.03, beta=0.5),
        ref_ftrl(-0.7, 0.2, 0.05, 0.02, 0.03, 0.5), {}),
}

#: Every base-class feature, tried with every new optimizer.
FEATURES = {
    "plain": {},
    "clipnorm": dict(clipnorm=0.5),
    "clipvalue": dict(clipvalue=0.3),
    "global_clipnorm": dict(global_clipnorm=0.7),
    "weight_decay": dict(weight_decay=0.2),
}


# Each optimizer's hyperparameter variants run plain; its default runs with every feature.
FEATURE_CASES = [(case, "plain") for case in sorted(NEW_OPTIMIZERS)] + [
    (case, feature) for case in sorted(NEW_OPTIMIZERS) for feature in sorted(FEATURES)
    if feature != "plain" and "_" not in case]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case,feature", FEATURE_CASES)
def test_new_optimizer_matches_float64_reference(case, feature, dtype, backend_name):
    cls, kwargs, update, extras = NEW_OPTIMIZERS[case]
    kwargs = {**kwargs, **FEATURES[feature]}
    extras = {**extras, **FEATURES[feature]}
    weights, grad_steps = make_problem()
    lr = f32(kwargs["learning_rate"])
    expected, _ = run_reference(update, weights, grad_steps, lambda step: lr, **extras)
    actual = run_brickwork(cls(**kwargs), weights, grad_steps, dtype)
    assert_weights_close(actual, expected, dtype)
    if feature != "plain":
        plain = run_brickwork(cls(**NEW_OPTIMIZERS[case][1]), weights, grad_steps, "float64")
        assert max_difference(plain, expected) > 1e-6, "the feature had no effect"


@pytest.mark.parametrize("case", sorted(NEW_OPTIMIZERS))
def test_new_optimizer_follows_a_schedule(case, backend_name):
    cls, kwargs, update, extras = NEW_OPTIMIZERS[case]
    base = kwargs["learning_rate"]
    schedule = optimizers.schedules.ExponentialDecay(base, decay_steps=1, decay_rate=0.5)
    weights, grad_steps = make_problem()
    expected, _ = run_reference(update, weights, grad_steps,
                                lambda step: f32(base * 0.5**step), **extras)
    actual = run_brickwork(cls(**{**kwargs, "learning_rate": schedule}), weights, grad_steps,
                           "float64")
    assert_weights_close(actual, expected, "float64")


# Keras 3.15.1 (torch backend), float32 variables "kernel" (2, 3) and "bias" (3,):
# three apply_gradients steps from W0/B0 with GRADS. Values: (variable names in
# save order, kernel after, bias after).
KERAS_W0 = np.array([[0.1257302210933933, -0.1321048632913019, 0.6404226504432821], [0.10490011715303971, -0.535669373161111, 0.36159505490948474]])
KERAS_B0 = np.array([1.3040000451301372, 0.9470809631292422, -0.7037352358069926])
KERAS_GRADS = [([[-1.2654214710460525, -0.6232744625373522, 0.0413259793472436], [-2.3250307746388343, -0.21879166393254573, -1.2459109472530652]], [-0.7322673547034516, -0.5442589828573099, -0.31630015636915454]), ([[0.4116305363741328, 1.0425133694426776, -0.12853466294403426], [1.3664634705496859, -0.6651946734866135, 0.3515100700930197]], [0.9034701816518086, 0.09401229776087457, -0.7434992493538084]), ([[-0.9217253762584194, -0.45772582566733916, 0.2201951234700494], [-1.009618183538736, -0.20917557487171307, -0.15922500991447772]], [0.5408455846858077, 0.2146591225063409, 0.3553727090399214])]
KERAS_NEW_RESULTS = {
    'AdamW': (['iteration', 'learning_rate', 'kernel_momentum', 'kernel_velocity', 'bias_momentum', 'bias_velocity'], [[0.14600718021392822, -0.12492073327302933, 0.6319684386253357], [0.12058285623788834, -0.507830023765564, 0.38015469908714294]], [1.308486819267273, 0.9638292193412781, -0.6800553798675537]),
    'AdamW_ams': (['iteration', 'learning_rate', 'kernel_momentum', 'kernel_velocity', 'bias_momentum', 'bias_velocity', 'kernel_velocity_hat', 'bias_velocity_hat'], [[0.1456223428249359, -0.12455703318119049, 0.6301403045654297], [0.12025994807481766, -0.5063169002532959, 0.3790909945964813]], [1.3047174215316772, 0.9610801339149475, -0.6780589818954468]),
    'Adagrad': (['iteration', 'learning_rate', 'kernel_accumulator', 'bias_accumulator'], [[0.2485358715057373, -0.09172616899013519, 0.6109172701835632], [0.18851476907730103, -0.3659290671348572, 0.4440081715583801]], [1.2798972129821777, 0.9868147969245911, -0.5852280855178833]),
    'Adadelta': (['iteration', 'learning_rate', 'kernel_accumulated_grad', 'kernel_accumulated_delta_var', 'bias_accumulated_grad', 'bias_accumulated_delta_var'], [[0.1277310848236084, -0.13146688044071198, 0.6385589838027954], [0.10609390586614609, -0.5315449833869934, 0.36271610856056213]], [1.3027496337890625, 0.9473873376846313, -0.7015894651412964]),
    'Adamax': (['iteration', 'learning_rate', 'kernel_momentum', 'kernel_norm', 'bias_momentum', 'bias_norm'], [[0.14336365461349487, -0.12444990873336792, 0.6318504214286804], [0.11919008195400238, -0.5133782625198364, 0.3773788511753082]], [1.3094655275344849, 0.9618743658065796, -0.6836252212524414]),
    'Nadam': (['iteration', 'learning_rate', 'kernel_momentum', 'kernel_velocity', 'bias_momentum', 'bias_velocity', 'variable'], [[0.14035573601722717, -0.12642531096935272, 0.6304934024810791], [0.11493657529354095, -0.5110390186309814, 0.3719536364078522]], [1.3024711608886719, 0.9533784985542297, -0.6867282390594482]),
    'Lion': (['iteration', 'learning_rate', 'kernel_momentum', 'bias_momentum'], [[0.13573022186756134, -0.12210486084222794, 0.6304226517677307], [0.11490011215209961, -0.5056694149971008, 0.3715950548648834]], [1.2940000295639038, 0.937080979347229, -0.6937352418899536]),
    'Ftrl': (['iteration', 'learning_rate', 'kernel_accumulator', 'kernel_linear', 'bias_accumulator', 'bias_linear'], [[0.2180534154176712, -0.03195393458008766, -0.02410571649670601], [0.1743774563074112, 0.07458233833312988, 0.3550514578819275]], [0.762915313243866, 0.5110195875167847, -0.08766915649175644]),
    'Ftrl_all': (['iteration', 'learning_rate', 'kernel_accumulator', 'kernel_linear', 'bias_accumulator', 'bias_linear'], [[0.16015832126140594, -0.023837724700570107, -0.0181743074208498], [0.13629038631916046, 0.06091807410120964, 0.2811538875102997]], [0.5308414697647095, 0.3119523525238037, -0.03002810850739479]),
    'Lion_clip': (['iteration', 'learning_rate', 'kernel_momentum', 'bias_momentum'], [[0.13573022186756134, -0.12210486084222794, 0.6304226517677307], [0.11490011215209961, -0.5056694149971008, 0.3715950548648834]], [1.2940000295639038, 0.937080979347229, -0.6937352418899536]),
    'Adagrad_gclip': (['iteration', 'learning_rate', 'kernel_accumulator', 'bias_accumulator'], [[0.22994108498096466, -0.12205640971660614, 0.6216229796409607], [0.18336571753025055, -0.4433041214942932, 0.4178660213947296]], [1.2422088384628296, 0.9480392932891846, -0.6598134636878967]),
    'Adamax_cv': (['iteration', 'learning_rate', 'kernel_momentum', 'kernel_norm', 'bias_momentum', 'bias_norm'], [[0.13836358487606049, -0.1190849244594574, 0.6308982968330383], [0.11756471544504166, -0.5080809593200684, 0.3721448481082916]], [1.307486653327942, 0.958046555519104, -0.6800751686096191]),
}
KERAS_NEW_BUILDERS = {
    "AdamW": lambda: optimizers.AdamW(learning_rate=0.01),
    "AdamW_ams": lambda: optimizers.AdamW(learning_rate=0.01, amsgrad=True, weight_decay=0.1),
    "Adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "Adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "Adamax": lambda: optimizers.Adamax(learning_rate=0.01),
    "Nadam": lambda: optimizers.Nadam(learning_rate=0.01),
    "Lion": lambda: optimizers.Lion(learning_rate=0.01),
    "Ftrl": lambda: optimizers.Ftrl(learning_rate=0.1),
    "Ftrl_all": lambda: optimizers.Ftrl(
        learning_rate=0.1, learning_rate_power=-0.7, l1_regularization_strength=0.01,
        l2_regularization_strength=0.02, l2_shrinkage_regularization_strength=0.03, beta=0.5),
    "Lion_clip": lambda: optimizers.Lion(learning_rate=0.01, clipnorm=0.5),
    "Adagrad_gclip": lambda: optimizers.Adagrad(learning_rate=0.1, global_clipnorm=0.7),
    "Adamax_cv": lambda: optimizers.Adamax(learning_rate=0.01, clipvalue=0.3, weight_decay=0.05),
}


@pytest.mark.parametrize("case", sorted(KERAS_NEW_RESULTS))
def test_new_optimizers_match_keras_numbers(case, backend_name):
    names, kernel_after, bias_after = KERAS_NEW_RESULTS[case]
    optimizer = KERAS_NEW_BUILDERS[case]()
    kernel = brickwork.Variable(KERAS_W0.astype("float32"), name="kernel")
    bias = brickwork.Variable(KERAS_B0.astype("float32"), name="bias")
    for variable in (kernel, bias):
        variable.path = variable.name
    optimizer.build([kernel, bias])
    assert [v.name for v in optimizer.variables] == names
    for grad_kernel, grad_bias in KERAS_GRADS:
        optimizer.apply_gradients([(np.asarray(grad_kernel, "float32"), kernel),
                                   (np.asarray(grad_bias, "float32"), bias)])
    np.testing.assert_allclose(kernel.numpy(), kernel_after, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(bias.numpy(), bias_after, rtol=2e-6, atol=2e-6)


NEW_CONFIG_KEYS = {
    optimizers.AdamW: ["beta_1", "beta_2", "epsilon", "amsgrad"],
    optimizers.Adagrad: ["initial_accumulator_value", "epsilon"],
    optimizers.Adadelta: ["rho", "epsilon"],
    optimizers.Adamax: ["beta_1", "beta_2", "epsilon"],
    optimizers.Nadam: ["beta_1", "beta_2", "epsilon"],
    optimizers.Lion: ["beta_1", "beta_2"],
    optimizers.Ftrl: ["learning_rate_power", "initial_accumulator_value",
                      "l1_regularization_strength", "l2_regularization_strength",
                      "l2_shrinkage_regularization_strength", "beta"],
}
BASE_CONFIG_KEYS = ["name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
                    "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                    "loss_scale_factor", "gradient_accumulation_steps"]


@pytest.mark.parametrize("cls", list(NEW_CONFIG_KEYS), ids=lambda c: c.__name__)
def test_new_optimizer_configs_and_round_trip(cls):
    optimizer = cls(learning_rate=0.05, clipnorm=2.0)
    config = optimizer.get_config()
    assert list(config) == BASE_CONFIG_KEYS + NEW_CONFIG_KEYS[cls]
    assert config["learning_rate"] == f32(0.05)
    rebuilt = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(rebuilt) is cls and rebuilt.get_config() == config
    assert type(optimizers.get(cls.__name__.lower())) is cls
    assert optimizers.serialize(optimizer)["module"] == "keras.optimizers"


def test_keras_defaults_of_new_optimizers():
    # From keras.optimizers.*().get_config() in Keras 3.15.
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    assert optimizers.AdamW().name.startswith("adam_w")
    assert optimizers.Adagrad().get_config()["initial_accumulator_value"] == 0.1
    assert optimizers.Adadelta().get_config()["rho"] == 0.95
    assert optimizers.Lion().get_config()["beta_2"] == 0.99
    ftrl = optimizers.Ftrl().get_config()
    assert (ftrl["learning_rate_power"], ftrl["beta"]) == (-0.5, 0.0)
    for cls in NEW_CONFIG_KEYS:
        assert cls().get_config()["learning_rate"] == f32(0.001)


def test_new_optimizers_reject_bad_arguments():
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    for key in ("initial_accumulator_value", "l1_regularization_strength",
                "l2_regularization_strength", "l2_shrinkage_regularization_strength"):
        with pytest.raises(ValueError, match=key):
            optimizers.Ftrl(**{key: -0.1})


def test_nadam_keeps_its_momentum_product(backend_name):
    optimizer = optimizers.Nadam(learning_rate=0.01)
    weights, grad_steps = make_problem()
    variables = make_variables(weights)
    for grads in grad_steps[:3]:
        optimizer.apply_gradients(zip([g.astype("float32") for g in grads], variables))
    product = np.prod([0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2, 3)])
    assert optimizer.variables[-1].name == "variable"
    np.testing.assert_allclose(optimizer.variables[-1].numpy(), product, rtol=1e-6)


@pytest.mark.parametrize("cls", list(NEW_CONFIG_KEYS), ids=lambda c: c.__name__)
def test_new_optimizers_apply_constraints_after_the_step(cls, backend_name):
    variable = brickwork.Variable(np.full((2, 2), 0.01, "float32"), name="w")
    variable.constraint = brickwork.constraints.NonNeg()
    optimizer = cls(learning_rate=0.5)
    for _ in range(2):
        optimizer.apply_gradients([(np.ones((2, 2), "float32"), variable)])
        assert (variable.numpy() >= 0).all()
