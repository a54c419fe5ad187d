"""Model.get_state_tree / set_state_tree (Keras 3) and Model.reset_states."""
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, ops
from brickwork.naming import reset_names


def trained_model(seed):
    reset_names()
    bw.random.set_random_seed(seed)
    model = bw.Sequential([layers.Input((3,), name="my_input"),
                           layers.Dense(4, activation="relu", name="hidden"),
                           layers.BatchNormalization(name="norm"),
                           layers.Dense(1, name="out")], name="my_sequential")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.default_rng(seed).normal(size=(16, 3)).astype("float32")
    model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, verbose=0)
    return model, x


def test_the_state_tree_nests_every_variable_by_path():
    model, _ = trained_model(0)
    tree = model.get_state_tree(value_format="numpy_array")
    assert sorted(tree) == ["metrics_variables", "non_trainable_variables",
                            "optimizer_variables", "trainable_variables"]
    # As Keras: a Sequential builds its layers inside its own name scope, so
    # their variables' paths (and the tree) start with the model's name.
    assert sorted(tree["trainable_variables"]) == ["my_sequential"]
    trainable = tree["trainable_variables"]["my_sequential"]
    assert sorted(trainable) == ["hidden", "norm", "out"]
    assert sorted(trainable["norm"]) == ["beta", "gamma"]
    assert sorted(tree["non_trainable_variables"]["my_sequential"]["norm"]) == [
        "moving_mean", "moving_variance"]
    assert sorted(tree["metrics_variables"]) == ["loss", "mean_absolute_error"]
    assert sorted(tree["metrics_variables"]["loss"]) == ["count", "total"]
    adam = tree["optimizer_variables"]["adam"]
    assert adam["iteration"] == 2 and "my_sequential_hidden_kernel_momentum" in adam
    np.testing.assert_array_equal(trainable["hidden"]["kernel"],
                                  model.get_layer("hidden").kernel.numpy())
    backend_tree = model.get_state_tree()
    assert isinstance(backend_tree["trainable_variables"]["my_sequential"]["out"]["bias"],
                      type(ops.convert_to_tensor(np.zeros(1))))
    with pytest.raises(ValueError, match="value_format"):
        model.get_state_tree("torch")


def test_set_state_tree_makes_another_model_the_same():
    source, x = trained_model(0)
    target, _ = trained_model(1)
    assert not np.allclose(target.predict(x, verbose=0), source.predict(x, verbose=0))
    target.set_state_tree(source.get_state_tree())
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))
    for a, b in zip(target.optimizer.variables, source.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    partial = {"trainable_variables": {"my_sequential": {"out": {"bias": np.array([5.0],
                                                                             "float32")}}}}
    target.set_state_tree(partial)
    assert target.get_layer("out").bias.numpy().tolist() == [5.0]
    with pytest.raises(ValueError, match="Unknown variable name: weights"):
        target.set_state_tree({"weights": {}})
    with pytest.raises(ValueError, match="no trainable_variables variable at path "
                                         "'my_sequential/out/gain'"):
        target.set_state_tree({"trainable_variables": {"my_sequential": {"out": {
            "gain": np.ones(1)}}}})


def test_reset_states_zeroes_the_states_of_stateful_layers():
    lstm = layers.LSTM(3, stateful=True, name="stateful_lstm")
    model = bw.Sequential([layers.Input((4, 2), batch_size=2), lstm, layers.Dense(1)])
    model.predict(np.ones((2, 4, 2), "float32"), verbose=0)
    assert any(np.abs(ops.convert_to_numpy(s)).sum() > 0 for s in lstm.states)
    model.reset_states()
    assert all(np.abs(ops.convert_to_numpy(s)).sum() == 0 for s in lstm.states)
