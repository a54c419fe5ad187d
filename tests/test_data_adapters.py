"""fit/evaluate/predict on streams: generators, iterators, PyDataset (with
workers), torch DataLoader, grain; Keras's steps_per_epoch rules; errors."""
import multiprocessing
import threading
import time
import warnings

import numpy as np
import pytest

import brickwork as keras
from brickwork import layers
from brickwork.plugin import hookimpl
from brickwork.trainers import data_adapters

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 4)).astype("float32")
Y = RNG.normal(size=(96, 1)).astype("float32")
LABELS = (X.sum(axis=1) > 0).astype("int64")
BATCH = 16


def make_model(loss="mse", units=1, activation=None):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"),
                              layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


def reference_weights(epochs=2, **fit_kwargs):
    model = make_model()
    model.fit(X, Y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, **fit_kwargs)
    return model.get_weights()


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def batches(x=X, y=Y):
    for start in range(0, len(x), BATCH):
        yield x[start:start + BATCH], y[start:start + BATCH]


class ArraysDataset(keras.utils.PyDataset):
    def __init__(self, x=X, y=Y, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.delay = x, y, delay

    def __len__(self):
        return int(np.ceil(len(self.x) / BATCH))

    def __getitem__(self, index):
        if self.delay:
            time.sleep(self.delay)
        part = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[part], self.y[part]


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("brickwork-pydataset")]


# -- the same weights as arrays in the same order ---------------------------------

def test_generator_trains_like_arrays():
    expected = reference_weights(epochs=2)
    model = make_model()
    stream = (batch for _ in range(2) for batch in batches())
    model.fit(stream, epochs=2, steps_per_epoch=len(X) // BATCH, verbose=0)
    assert_same_weights(model.get_weights(), expected)


def test_generator_one_epoch_until_exhausted():
    expected = reference_weights(epochs=1)
    model = make_model()
    history = model.fit(batches(), epochs=1, verbose=0)
    assert_same_weights(model.get_weights(), expected)
    assert len(history.history["loss"]) == 1


def test_reiterable_restarts_each_epoch():
    class Batches:
        def __iter__(self):
            return batches()
    expected = reference_weights(epochs=3)
    model = make_model()
    model.fit(Batches(), epochs=3, verbose=0)
    assert_same_weights(model.get_weights(), expected)


@pytest.mark.parametrize("workers,multiprocessing_", [(1, False), (3, False), (2, True)])
def test_py_dataset_trains_like_arrays(workers, multiprocessing_):
    expected = reference_weights(epochs=2)
    model = make_model()
    dataset = ArraysDataset(workers=workers, use_multiprocessing=multiprocessing_,
                            max_queue_size=3)
    model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    assert_same_weights(model.get_weights(), expected)
    assert not _worker_threads()
    assert not multiprocessing.active_children()


def test_sequence_is_py_dataset():
    assert keras.utils.Sequence is keras.utils.PyDataset


def test_py_dataset_shuffle_permutes_batches():
    seen = []

    class Recording(ArraysDataset):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)
    model = make_model()
    model.fit(Recording(), epochs=2, shuffle=True, verbose=0)
    n = len(Recording())
    first, second = seen[-2 * n:-n], seen[-n:]
    assert sorted(first) == sorted(second) == list(range(n))
    assert first != list(range(n)) or second != list(range(n))


def test_torch_dataloader_trains_like_arrays():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset
    expected = reference_weights(epochs=2)
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
                        batch_size=BATCH, shuffle=False)
    model = make_model()
    model.fit(loader, epochs=2, verbose=0)
    assert_same_weights(model.get_weights(), expected)
    np.testing.assert_allclose(model.predict(loader, verbose=0), model.predict(X, verbose=0))


def test_grain_dataset_trains_like_arrays():
    grain = pytest.importorskip("grain.python")
    expected = reference_weights(epochs=2)
    dataset = grain.MapDataset.source([(X[i], Y[i]) for i in range(len(X))]).batch(BATCH)
    model = make_model()
    model.fit(dataset, epochs=2, verbose=0)
    assert_same_weights(model.get_weights(), expected)


def test_class_weight_with_py_dataset_matches_arrays():
    weights = {0: 0.5, 1: 2.0}
    keras_model = make_model("binary_crossentropy", activation="sigmoid")
    keras_model.fit(X, LABELS, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
                    class_weight=weights)
    model = make_model("binary_crossentropy", activation="sigmoid")
    model.fit(ArraysDataset(y=LABELS), epochs=1, shuffle=False, verbose=0, class_weight=weights)
    assert_same_weights(model.get_weights(), keras_model.get_weights())


def test_class_weight_refused_for_generators():
    with pytest.raises(ValueError, match="class_weight"):
        make_model().fit(batches(), class_weight={0: 1.0}, verbose=0)


def test_sample_weights_from_generator():
    weights = np.linspace(0.5, 2.0, len(X)).astype("float32")
    expected = make_model()
    expected.fit(X, Y, sample_weight=weights, batch_size=BATCH, shuffle=False, verbose=0)
    model = make_model()
    model.fit(((x, y, weights[i * BATCH:(i + 1) * BATCH])
               for i, (x, y) in enumerate(batches())), verbose=0)
    assert_same_weights(model.get_weights(), expected.get_weights())


# -- evaluate, predict, validation --------------------------------------------------

def test_evaluate_and_predict_on_streams():
    model = make_model()
    model.fit(X, Y, verbose=0)
    expected_loss = model.evaluate(X, Y, batch_size=BATCH, verbose=0)
    assert model.evaluate(batches(), verbose=0) == pytest.approx(expected_loss, rel=1e-6)
    assert model.evaluate(ArraysDataset(workers=2), verbose=0) == pytest.approx(expected_loss,
                                                                              rel=1e-6)
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(model.predict((x for x, _ in batches()), verbose=0), expected)
    np.testing.assert_allclose(model.predict(ArraysDataset(), verbose=0), expected)
    np.testing.assert_allclose(model.predict(ArraysDataset(workers=3), verbose=0), expected)
    assert not _worker_threads()
    assert model.predict(batches(), steps=2, verbose=0).shape == (2 * BATCH, 1)


def test_validation_data_streams_and_freq():
    model = make_model()
    history = model.fit(X, Y, epochs=4, verbose=0, validation_data=ArraysDataset(),
                        validation_freq=2)
    assert len(history.history["val_loss"]) == 2
    history = model.fit(X, Y, epochs=3, verbose=0, validation_freq=[1, 3],
                        validation_data=(b for _ in range(10) for b in batches()),
                        validation_steps=2)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(batches(), validation_split=0.2, verbose=0)


def test_initial_epoch_and_unknown_length_progress(capsys):
    model = make_model()
    history = model.fit(batches(), epochs=3, initial_epoch=2, verbose=1)
    assert history.epoch == [2]
    out = capsys.readouterr().out
    assert f"{len(X) // BATCH}/{len(X) // BATCH}" in out


def test_steps_per_epoch_carries_on_and_stops_when_dry():
    model = make_model()
    seen = []

    def stream():
        for i, batch in enumerate(batches()):
            seen.append(i)
            yield batch
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(stream(), epochs=5, steps_per_epoch=4, verbose=0)
    assert seen == list(range(6))           # never restarted
    assert len(history.history["loss"]) == 2  # 4 + 2 batches, then dry: training stops


def test_arrays_steps_per_epoch_as_keras():
    # Keras: without batch_size, steps_per_epoch sets it (ceil(96 / 4) = 24).
    model = make_model()
    counts = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: counts.append(b))
    model.fit(X, Y, steps_per_epoch=4, epochs=1, verbose=0, callbacks=[cb])
    assert counts == [0, 1, 2, 3]


# -- workers ------------------------------------------------------------------------

def test_workers_keep_order_and_bound_the_queue():
    lock = threading.Lock()
    state = {"fetched": 0, "consumed": 0, "max_ahead": 0}

    class Slow(ArraysDataset):
        def __getitem__(self, index):
            time.sleep(0.01 * ((index * 7) % 3))   # finish out of order
            with lock:
                state["fetched"] += 1
                state["max_ahead"] = max(state["max_ahead"],
                                         state["fetched"] - state["consumed"])
            return super().__getitem__(index)
    adapter = data_adapters.get_data_adapter(Slow(workers=4, max_queue_size=2))
    got = []
    for batch in adapter.get_iterator():
        got.append(batch[0])
        with lock:
            state["consumed"] += 1
    adapter.close()
    np.testing.assert_array_equal(np.concatenate(got), X)
    assert state["max_ahead"] <= 2 + 1
    assert not _worker_threads()


def test_worker_error_propagates_and_shuts_down():
    class Broken(ArraysDataset):
        def __getitem__(self, index):
            if index == 3:
                raise RuntimeError("disk gone")
            return super().__getitem__(index)
    model = make_model()
    with pytest.raises(RuntimeError, match="disk gone"):
        model.fit(Broken(workers=3), epochs=1, verbose=0)
    assert not _worker_threads()
    with pytest.raises(RuntimeError, match="disk gone"):
        model.fit(Broken(workers=2, use_multiprocessing=True), epochs=1, verbose=0)
    assert not multiprocessing.active_children()


def test_early_stop_mid_epoch_releases_workers():
    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True
    model = make_model()
    model.fit(ArraysDataset(workers=3, delay=0.01), epochs=3, verbose=0, callbacks=[Stop()])
    assert not _worker_threads()


# -- bad input ----------------------------------------------------------------------

def test_generator_wrong_structure_names_the_batch():
    def stream():
        yield X[:BATCH], Y[:BATCH]
        yield X[:BATCH], Y[:BATCH]
        yield X[:BATCH]                       # lost its targets
    with pytest.raises(ValueError, match=r"batch 2.*expected the structure of its first "
                                         r"batch, \(x, y\)"):
        make_model().fit(stream(), verbose=0)

    def four():
        yield X[:BATCH], Y[:BATCH], None, Y[:BATCH]
    with pytest.raises(ValueError, match=r"batch 0.*tuple of 4.*expected `x`, `\(x,\)`"):
        make_model().fit(four(), verbose=0)

    def strings():
        yield "not a batch"
    with pytest.raises(ValueError, match="batch 0.*a scalar in x"):
        make_model().fit(strings(), verbose=0)


def test_py_dataset_changing_shape_or_dtype_names_the_index():
    class Changing(ArraysDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            if index == 4:
                return x[:, :3], y
            return x, y
    with pytest.raises(ValueError, match=r"batch 4, x with shape \(16, 3\).*\(None, 4\)"):
        make_model().fit(Changing(), shuffle=False, verbose=0)

    class Retyped(ArraysDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return (x.astype("float64") if index == 2 else x), y
    with pytest.raises(ValueError, match="batch 2, x .*dtype float64.*float32"):
        make_model().fit(Retyped(), shuffle=False, verbose=0)


def test_empty_generator_and_unknown_input():
    with pytest.raises(ValueError, match="at least one batch"):
        make_model().fit(iter([]), verbose=0)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        make_model().fit(object(), verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        make_model().fit(batches(), Y, verbose=0)


# -- plugins --------------------------------------------------------------------------

class ColumnStore:
    """A made-up container a plugin teaches fit to read."""

    def __init__(self, x, y):
        self.columns = {"x": x, "y": y}


class ColumnStoreAdapter(data_adapters.DataAdapter):
    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        self.store = x
        self.batch_size = batch_size or BATCH

    @classmethod
    def can_handle(cls, x, y=None):
        return isinstance(x, ColumnStore)

    @property
    def num_batches(self):
        return int(np.ceil(len(self.store.columns["x"]) / self.batch_size))

    def get_iterator(self):
        x, y = self.store.columns["x"], self.store.columns["y"]
        for start in range(0, len(x), self.batch_size):
            yield x[start:start + self.batch_size], y[start:start + self.batch_size]


class AdapterPlugin:
    @hookimpl
    def brickwork_data_adapters(self):
        return [ColumnStoreAdapter]


def test_plugin_adds_a_data_adapter():
    from brickwork import backend
    manager = backend.plugin_manager()
    assert manager.register(AdapterPlugin(), "test-column-store")
    try:
        assert ColumnStoreAdapter in data_adapters.adapter_classes()
        from brickwork.info import report
        assert "data adapters ColumnStoreAdapter" in report()
        expected = reference_weights(epochs=1)
        model = make_model()
        model.fit(ColumnStore(X, Y), epochs=1, shuffle=False, verbose=0)
        assert_same_weights(model.get_weights(), expected)
    finally:
        manager.unregister("test-column-store")
    assert ColumnStoreAdapter not in data_adapters.adapter_classes()


def test_plugin_with_a_bad_adapter_is_skipped():
    from brickwork import backend

    class Bad:
        @hookimpl
        def brickwork_data_adapters(self):
            return [dict]
    manager = backend.plugin_manager()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert not manager.register(Bad(), "test-bad-adapter")
    assert any("not a DataAdapter" in str(w.message) for w in caught)
    manager.unregister("test-bad-adapter")


# -- more stream shapes ---------------------------------------------------------------

def fake_tf_dataset(batches_list, cardinality):
    """An object tf.data's adapter recognizes (TensorFlow is not installed here)."""
    base = type("DatasetV2", (), {"__module__": "tensorflow.python.data.ops.dataset_ops"})

    class FakeDataset(base):
        def cardinality(self):
            return cardinality

        def __iter__(self):
            return iter(list(batches_list))
    return FakeDataset()


def test_tf_dataset_adapter_with_class_weight():
    weights = {0: 0.5, 1: 2.0}
    expected = make_model("binary_crossentropy", activation="sigmoid")
    expected.fit(X, LABELS, batch_size=BATCH, epochs=2, shuffle=False, verbose=0,
                 class_weight=weights)
    dataset = fake_tf_dataset(list(batches(X, LABELS)), len(X) // BATCH)
    adapter = data_adapters.get_data_adapter(dataset)
    assert isinstance(adapter, data_adapters.TFDatasetAdapter)
    assert adapter.num_batches == len(X) // BATCH
    assert data_adapters.get_data_adapter(fake_tf_dataset([], -2)).num_batches is None
    model = make_model("binary_crossentropy", activation="sigmoid")
    model.fit(dataset, epochs=2, verbose=0, class_weight=weights)
    assert_same_weights(model.get_weights(), expected.get_weights())


def test_endless_py_dataset_with_steps_per_epoch():
    class Endless(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.asked = []

        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            self.asked.append(index)
            i = index % (len(X) // BATCH)
            return X[i * BATCH:(i + 1) * BATCH], Y[i * BATCH:(i + 1) * BATCH]
    expected = reference_weights(epochs=2)
    dataset = Endless()
    model = make_model()
    model.fit(dataset, epochs=4, steps_per_epoch=3, verbose=0)   # 12 batches = 2 passes
    assert dataset.asked == list(range(12))                       # resumes, never restarts
    assert_same_weights(model.get_weights(), expected)
    threaded = Endless(workers=2, max_queue_size=2)
    model = make_model()
    model.fit(threaded, epochs=4, steps_per_epoch=3, verbose=0)
    assert_same_weights(model.get_weights(), expected)
    assert not _worker_threads()


def test_py_dataset_steps_per_epoch_carries_on_with_workers():
    expected = reference_weights(epochs=2)
    model = make_model()
    model.fit(ArraysDataset(workers=3), epochs=4, steps_per_epoch=3, shuffle=False, verbose=0)
    assert_same_weights(model.get_weights(), expected)
    assert not _worker_threads()


def test_dict_inputs_from_a_generator():
    inputs = keras.Input((4,), name="features")
    model = keras.Model(inputs, layers.Dense(1)(layers.Dense(5, activation="relu")(inputs)))
    model.compile("sgd", "mse")
    model.fit(({"features": x}, y) for x, y in batches())
    assert model.predict(({"features": x} for x, _ in batches()), verbose=0).shape == (96, 1)


def test_validation_generator_carries_on_with_validation_steps():
    seen = []

    def val_stream():
        for i, batch in enumerate(b for _ in range(3) for b in batches()):
            seen.append(i)
            yield batch
    model = make_model()
    model.fit(X, Y, epochs=3, verbose=0, validation_data=val_stream(), validation_steps=2)
    assert seen == list(range(6))
