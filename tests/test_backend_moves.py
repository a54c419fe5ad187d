"""Moving a model between backends (``Model.to_backend``, loading a file
saved under another backend), ``predict`` returning NumPy arrays, and the
error for computing with state that lives on another backend (issue #7).

Without a GPU, a second complete backend, ``twin`` (NumPy arrays and NumPy's
kernels, fixture in conftest.py), tests the bookkeeping: a move must re-home
every array and update what each layer records, and a model must refuse to
compute under a backend its state is not on. The tests marked ``gpu`` do the
same between numpy and cupy, with real device arrays.
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import brickwork as bw
from brickwork import backend, layers, optimizers
from brickwork.backend import BackendError
from brickwork.models.backend_move import collect_state


def make_data(n=48):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = ((x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)).astype("int64")
    return x, y


def make_model(optimizer="adam", seed=3):
    """Dense, Dropout (a random stream) and BatchNormalization (non-trainable
    weights), compiled with a metric: every kind of state a move must carry."""
    bw.utils.set_random_seed(seed)
    model = bw.Sequential([
        layers.Input((6,)),
        layers.Dense(12, activation="relu"),
        layers.Dropout(0.25, seed=11),
        layers.BatchNormalization(),
        layers.Dense(3, activation="softmax"),
    ], name="mover")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def state_of(model):
    """``{path: (variable, value copy)}`` of every variable a move must carry."""
    variables, _, _ = collect_state(model)
    state = {}
    for variable in variables:
        assert variable.path not in state, f"two variables at {variable.path}"
        state[variable.path] = (variable, variable.numpy().copy())
    return state


def weighted_layers(model):
    """The layers that own variables (a container owns none itself)."""
    return [layer for layer in model._flatten_layers()
            if layer._trainable_variables or layer._non_trainable_variables]


# ---------------------------------------------------------------------------
# Moving
# ---------------------------------------------------------------------------


def test_to_backend_moves_every_variable_with_its_value(twin_backend):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    arrays_before = {path: variable.value for path, (variable, _) in before.items()}
    # Weights (trainable and not), optimizer slots and counters, metrics.
    # (The Sequential's layers were built in its scope: their paths start with its name.)
    name = model.name
    for path in (f"{name}/dense/kernel", f"{name}/batch_normalization/moving_mean",
                 "adam/iteration", "adam/learning_rate", f"adam/{name}_dense_kernel_momentum",
                 f"adam/{name}_dense_1_bias_velocity", "loss/total", "accuracy/count"):
        assert path in before, path

    assert model.to_backend(twin_backend) is model
    assert backend.backend() == twin_backend
    after = state_of(model)
    assert after.keys() == before.keys()
    for path, (variable, value) in before.items():
        assert after[path][0] is variable, "a move keeps each Variable object"
        assert variable.value is not arrays_before[path], f"{path} was not re-homed"
        assert variable.value.dtype == value.dtype and variable.value.flags.c_contiguous
        assert_array_equal(variable.numpy(), value, err_msg=path)
    for layer in weighted_layers(model):
        assert layer._weights_backend == twin_backend
    # The trainer's references still reach the moved variables.
    assert all(any(v is w for w in model.weights) for v in model._trainable_for_step)


def test_loss_scale_optimizer_state_moves(twin_backend):
    x, y = make_data()
    model = make_model(optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=64.0))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    for path in ("loss_scale_optimizer/dynamic_scale", "loss_scale_optimizer/step_counter",
                 "sgd/iteration"):
        assert path in before
    model.to_backend(twin_backend)
    for path, (variable, value) in before.items():
        assert_array_equal(variable.numpy(), value, err_msg=path)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # and trains on
    assert int(model.optimizer.inner_optimizer.iterations.numpy()) == 6


def _train(moves=(), fits=None):
    """One-epoch fits of the same seeded model: one first, then after each
    move to a backend of ``moves`` one more (or ``fits`` without moving);
    the final weights and the last fit's loss."""
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for name in moves or [None] * (fits - 1):
        if name is not None:
            model.to_backend(name)
        history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    return [w.copy() for w in model.get_weights()], history.history["loss"]


@pytest.mark.parametrize("moves", [["twin"], ["twin", "numpy"]], ids=["there", "there-and-back"])
def test_training_after_a_move_matches_training_without_one(twin_backend, moves):
    # Dropout draws from its SeedGenerator in every fit: its stream must
    # continue across each move, not restart from the seed nor resume the
    # generator left behind on the first backend.
    stay_weights, stay_loss = _train(fits=1 + len(moves))
    backend.set_backend("numpy")
    moved_weights, moved_loss = _train(moves)
    assert backend.backend() == moves[-1]
    assert moved_loss == stay_loss
    for moved, stayed in zip(moved_weights, stay_weights):
        assert_array_equal(moved, stayed)


def test_moving_after_selecting_the_target_still_moves(twin_backend):
    # The error's first fix: select nothing, call to_backend; but a user may
    # select the backend first and move after: the state must still move.
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    backend.set_backend(twin_backend)
    model.to_backend(twin_backend)
    assert all(layer._weights_backend == twin_backend for layer in weighted_layers(model))
    for path, (variable, value) in before.items():
        assert_array_equal(variable.numpy(), value, err_msg=path)
    dropout = model.get_layer(index=1)
    assert set(dropout.seed_generator._generators) == {"numpy", twin_backend}
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)


def test_round_trip_returns_to_the_first_backend_with_identical_values(twin_backend):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    prediction = model.predict(x, verbose=0)
    model.to_backend(twin_backend).to_backend("numpy")
    assert backend.backend() == "numpy"
    for path, (variable, value) in before.items():
        assert_array_equal(variable.numpy(), value, err_msg=path)
    assert all(layer._weights_backend == "numpy" for layer in weighted_layers(model))
    assert_array_equal(model.predict(x, verbose=0), prediction)


def test_to_an_unknown_backend_changes_nothing():
    model = make_model()
    model.fit(*make_data(), epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    arrays_before = {path: variable.value for path, (variable, _) in before.items()}
    with pytest.raises(BackendError, match="unknown backend 'abacus'"):
        model.to_backend("abacus")
    assert backend.backend() == "numpy"
    for path, (variable, _) in before.items():
        assert variable.value is arrays_before[path]


def test_an_unbuilt_model_moves_and_builds_on_the_new_backend(twin_backend):
    model = bw.Sequential([layers.Dense(4), layers.Dense(2)])
    model.compile("sgd", "mse")
    model.to_backend(twin_backend)
    x, _ = make_data()
    model.fit(x, np.zeros((len(x), 2), "float32"), epochs=1, verbose=0)
    assert all(layer._weights_backend == twin_backend for layer in weighted_layers(model))


# ---------------------------------------------------------------------------
# Refusing mixed backends
# ---------------------------------------------------------------------------


ENTRY_POINTS = {
    "fit": lambda m, x, y: m.fit(x, y, epochs=1, verbose=0),
    "evaluate": lambda m, x, y: m.evaluate(x, y, verbose=0),
    "predict": lambda m, x, y: m.predict(x, verbose=0),
    "train_on_batch": lambda m, x, y: m.train_on_batch(x, y),
    "test_on_batch": lambda m, x, y: m.test_on_batch(x, y),
    "predict_on_batch": lambda m, x, y: m.predict_on_batch(x),
    "__call__": lambda m, x, y: m(x),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_using_a_model_under_another_backend_is_refused_and_changes_nothing(twin_backend,
                                                                          entry):
    x, y = make_data()
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    backend.set_backend(twin_backend)
    with pytest.raises(BackendError) as raised:
        ENTRY_POINTS[entry](model, x, y)
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert "'numpy'" in message and f"'{twin_backend}'" in message
    assert f"model.to_backend('{twin_backend}')" in message
    assert "brickwork.backend.set_backend('numpy')" in message
    # The trainer names the model; a direct call names the first layer with weights.
    assert ("'dense'" if entry == "__call__" else "'mover'") in message
    for path, (variable, value) in before.items():
        assert_array_equal(variable.numpy(), value, err_msg=path)
    # Either fix works.
    backend.set_backend("numpy")
    ENTRY_POINTS[entry](model, x, y)
    model.to_backend(twin_backend)
    ENTRY_POINTS[entry](model, x, y)


def test_a_layer_under_another_backend_is_refused(twin_backend):
    x, _ = make_data()
    dense = layers.Dense(3, name="lonely")
    expected = dense(x)
    with backend.use_backend(twin_backend):
        with pytest.raises(BackendError, match=r"Layer 'lonely' \(Dense\): its weights are on "
                                               r"backend 'numpy', but backend 'twin'"):
            dense(x)
        layers.Activation("relu")(x)  # a layer without weights runs anywhere
    assert_array_equal(dense(x), expected)


def test_load_weights_into_a_model_on_another_backend_is_refused(twin_backend, tmp_path):
    model = make_model()
    model.fit(*make_data(), epochs=1, batch_size=16, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    with backend.use_backend(twin_backend):
        with pytest.raises(BackendError, match="to_backend"):
            model.load_weights(tmp_path / "m.weights.h5")


# ---------------------------------------------------------------------------
# Loading under another backend
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["numpy->twin", "twin->numpy"])
def test_a_model_saved_under_one_backend_loads_under_the_other(twin_backend, direction,
                                                              tmp_path):
    saved_on, loaded_on = direction.split("->")
    x, y = make_data()
    backend.set_backend(saved_on)
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    prediction = model.predict(x, verbose=0)
    saved = {path: value for path, (_, value) in state_of(model).items()}

    backend.set_backend(loaded_on)
    loaded = bw.models.load_model(tmp_path / "m.keras")
    assert all(layer._weights_backend == loaded_on for layer in weighted_layers(loaded))
    assert_allclose(loaded.predict(x, verbose=0), prediction, rtol=1e-6)
    # As in Keras, the loaded model's layers are built one by one, outside its
    # scope: the same variables, without the model's name in their paths.
    prefix = model.name + "/"
    checked = {"dense/kernel", "batch_normalization/moving_variance", "adam/iteration",
               f"adam/{model.name}_dense_kernel_velocity"}
    variables = {v.path: v for v in collect_state(loaded)[0]}
    for path in checked:
        value = saved.get(path, saved.get(prefix + path))
        loaded_path = path.replace(f"{model.name}_", "")
        assert_array_equal(variables[loaded_path].numpy(), value, err_msg=path)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)  # trains on where it was loaded

    # A weights file too, into a model built under the loading backend.
    model_file = tmp_path / "m.weights.h5"
    backend.set_backend(saved_on)
    model.save_weights(model_file)
    backend.set_backend(loaded_on)
    fresh = make_model()
    fresh.build((None, 6))
    fresh.optimizer.build(fresh.trainable_weights)
    fresh.load_weights(model_file)
    assert_allclose(fresh.predict(x, verbose=0), prediction, rtol=1e-6)
    assert int(fresh.optimizer.iterations.numpy()) == int(saved["adam/iteration"])


# ---------------------------------------------------------------------------
# predict returns NumPy arrays
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("on_twin", [False, True], ids=["numpy", "twin"])
def test_predict_returns_numpy_arrays(twin_backend, on_twin):
    if on_twin:
        backend.set_backend(twin_backend)
    inputs = layers.Input((6,))
    hidden = layers.Dense(4, activation="relu")(inputs)
    model = bw.Model(inputs, [layers.Dense(2)(hidden), layers.Dense(1)(hidden)])
    x, _ = make_data()
    outputs = model.predict(x, batch_size=10, verbose=0)
    assert isinstance(outputs, list) and len(outputs) == 2
    assert all(type(o) is np.ndarray for o in outputs)
    assert [o.shape for o in outputs] == [(48, 2), (48, 1)]
    assert all(type(o) is np.ndarray for o in model.predict_on_batch(x[:5]))


# ---------------------------------------------------------------------------
# On a GPU: numpy <-> cupy
# ---------------------------------------------------------------------------


def _cupy_skip_reason():
    status = {s.name: s for s in backend.list_backends()}.get("cupy")
    if status is None:
        return "cupy backend not installed"
    return None if status.usable else f"cupy backend unusable here: {status.reason}"


requires_gpu = pytest.mark.skipif(_cupy_skip_reason() is not None,
                                  reason=_cupy_skip_reason() or "")


@pytest.fixture
def numpy_selected_after():
    yield
    backend.set_backend("numpy")


@pytest.mark.gpu
@requires_gpu
def test_numpy_cupy_numpy_round_trip(numpy_selected_after):
    import cupy
    x, y = make_data()
    backend.set_backend("numpy")
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = state_of(model)
    prediction = model.predict(x, verbose=0)

    model.to_backend("cupy")
    assert backend.backend() == "cupy"
    for path, (variable, value) in before.items():
        assert isinstance(variable.value, cupy.ndarray), path
        assert_array_equal(variable.numpy(), value, err_msg=path)
    on_gpu = model.predict(x, verbose=0)
    assert type(on_gpu) is np.ndarray
    assert_allclose(on_gpu, prediction, rtol=1e-4, atol=1e-6)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # trains on the GPU
    trained = state_of(model)
    assert int(trained["adam/iteration"][1]) == 6

    model.to_backend("numpy")
    assert backend.backend() == "numpy"
    for path, (variable, value) in trained.items():
        assert type(variable.value) is np.ndarray, path
        assert_array_equal(variable.numpy(), value, err_msg=path)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 9


@pytest.mark.gpu
@requires_gpu
def test_numpy_inputs_into_a_cupy_model_and_cupy_inputs_into_a_numpy_model(
        numpy_selected_after):
    import cupy
    x, y = make_data()
    backend.set_backend("numpy")
    model = make_model()
    expected = model.predict(x, verbose=0)
    model.to_backend("cupy")
    from_numpy = model.predict(x, verbose=0)  # NumPy inputs are converted
    from_cupy = model.predict(cupy.asarray(x), verbose=0)
    assert type(from_numpy) is np.ndarray and type(from_cupy) is np.ndarray
    assert_allclose(from_numpy, expected, rtol=1e-4, atol=1e-6)
    assert_allclose(from_cupy, from_numpy, rtol=1e-6, atol=1e-7)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.train_on_batch(cupy.asarray(x), cupy.asarray(y))

    model.to_backend("numpy")
    assert_allclose(model.predict(cupy.asarray(x), verbose=0), model.predict(x, verbose=0))


@pytest.mark.gpu
@requires_gpu
def test_real_arrays_on_the_wrong_backend_are_refused_clearly(numpy_selected_after):
    x, y = make_data()
    backend.set_backend("numpy")
    model = make_model()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    backend.set_backend("cupy")
    with pytest.raises(BackendError, match=r"'numpy', but backend 'cupy' is selected"):
        model.predict(x, verbose=0)
    with pytest.raises(BackendError, match=r"'numpy', but backend 'cupy' is selected"):
        model(x)
    # State created under cupy on a model that lives on numpy (an optimizer
    # compiled while cupy was selected) is caught by its array type.
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    backend.set_backend("numpy")
    with pytest.raises(BackendError, match=r"'sgd/iteration' holds a cupy array"):
        model.fit(x, y, epochs=1, verbose=0)
