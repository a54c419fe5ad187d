"""LossScaleOptimizer (dynamic loss scaling) and loss scaling in the train
step. Expected numbers come from Keras 3.15 (torch backend) running the same
calls."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import brickwork as bw
from brickwork import layers, optimizers
from brickwork.variables import Variable


def test_dynamic_scale_follows_keras():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=4.0,
                                        dynamic_growth_steps=2)
    v = Variable(np.ones(3, "float32"))
    # (weights, scale, step counter, iterations) after each apply, from Keras.
    expected = [([0.975, 0.95, 0.925], 4.0, 1, 1),
                ([0.95, 0.925, 0.9], 8.0, 0, 2),          # 2 finite steps: scale doubles
                ([0.95, 0.925, 0.9], 4.0, 0, 2),          # inf: step skipped, scale halves
                ([0.925, 0.9, 0.875], 4.0, 1, 3)]
    for grad, (weights, scale, counter, iterations) in zip(
            ([1, 2, 3], [1, 1, 1], [np.inf, 0, 0], [1, 1, 1]), expected):
        opt.apply([np.array(grad, "float32")], [v])
        assert_allclose(v.numpy(), weights, rtol=1e-6)
        assert float(opt.dynamic_scale.numpy()) == scale
        assert int(opt.step_counter.numpy()) == counter
        assert int(np.asarray(opt.iterations.numpy())) == iterations
    assert [x.path.split("/")[-1] for x in opt.variables] == [
        "iteration", "learning_rate", "step_counter", "dynamic_scale", "iteration", "learning_rate"]
    assert float(np.asarray(opt.scale_loss(2.0))) == 8.0


def test_nan_gradient_skips_the_step():
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=8.0)
    v = Variable(np.ones(2, "float32"))
    opt.apply([np.array([np.nan, 1.0], "float32")], [v])
    assert_allclose(v.numpy(), [1.0, 1.0])
    assert float(opt.dynamic_scale.numpy()) == 4.0


def test_scale_loss_before_building_uses_the_initial_scale():
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(), initial_scale=16.0)
    assert float(np.asarray(opt.scale_loss(0.5))) == 8.0


def _train(optimizer, steps=3):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    bw.utils.set_random_seed(5)
    model = bw.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    logs = [model.train_on_batch(x, y) for _ in range(steps)]
    return model, logs


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1, loss_scale_factor=128.0),
    lambda: optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=1024.0),
])
def test_scaled_training_equals_unscaled(make):
    """The loss is scaled before the gradients are taken and the gradients
    unscaled before the update: the same weights and logged loss as without."""
    plain, plain_logs = _train(optimizers.SGD(0.1))
    scaled, scaled_logs = _train(make())
    for a, b in zip(plain.get_weights(), scaled.get_weights()):
        assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert_allclose(plain_logs, scaled_logs, rtol=1e-6)


def test_compile_wraps_the_optimizer_under_mixed_float16(mixed_float16_policy):
    model = bw.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, optimizers.SGD)
    assert model.get_compile_config()["optimizer"]["class_name"] == "SGD"
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, optimizers.SGD)


def test_float32_policy_leaves_the_optimizer_alone():
    model = bw.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, optimizers.SGD)


def test_config_round_trip_and_save_load(tmp_path):
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=64.0,
                                        dynamic_growth_steps=5)
    config = optimizers.serialize(opt)
    again = optimizers.deserialize(config)
    assert isinstance(again, optimizers.LossScaleOptimizer)
    assert again.get_config()["inner_optimizer"]["class_name"] == "Adam"
    assert (again.initial_scale, again.dynamic_growth_steps) == (64.0, 5)
    model, _ = _train(opt, steps=2)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = bw.models.load_model(path)
    assert isinstance(loaded.optimizer, optimizers.LossScaleOptimizer)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        assert_allclose(a.numpy(), b.numpy())


@pytest.mark.parametrize("kwargs, message", [
    ({"dynamic": False}, "no longer supports `dynamic=False`"),
    ({"clipnorm": 1.0}, "does not support `clipnorm`"),
    ({"foo": 1}, "does not support arguments: `foo`"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)
