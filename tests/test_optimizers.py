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
    with pytest.raises(ValueError, match=r"'adamm'.*adam, rmsprop, sgd"):
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
