"""The data-set utilities against Keras 3 (fixtures made by
tests/fixtures/make_keras_data_utils.py with Keras's grain path) and
against Keras's documented behaviour where Keras needs TensorFlow."""
import json
import os
import pathlib
import random
import wave

import numpy as np
import pytest

import brickwork as keras
from brickwork import layers, utils

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
DATA = FIXTURES / "data_utils"
META = json.loads((FIXTURES / "keras_data_utils.json").read_text())
ARRAYS = np.load(FIXTURES / "keras_data_utils.npz")


def keras_parts(name):
    parts = []
    while f"{name}/{len(parts)}" in ARRAYS:
        parts.append(ARRAYS[f"{name}/{len(parts)}"])
    return parts


def collect(dataset):
    batches = [dataset[i] for i in range(len(dataset))]
    if isinstance(batches[0], tuple):
        return [np.concatenate([b[i] for b in batches]) for i in range(len(batches[0]))]
    return [np.concatenate(batches)]


def relative(paths):
    return [os.path.relpath(p, DATA) for p in paths]


IMAGE_CASES = {
    "img_int": dict(image_size=(8, 6), shuffle=False, batch_size=4),
    "img_categorical_gray_crop": dict(image_size=(5, 5), shuffle=False, batch_size=3,
                                      label_mode="categorical", color_mode="grayscale",
                                      crop_to_aspect_ratio=True),
    "img_binary_rgba_nearest": dict(image_size=(6, 4), shuffle=False, batch_size=2,
                                    label_mode="binary", class_names=["owls", "cats"],
                                    color_mode="rgba", interpolation="nearest"),
    "img_pad_to_aspect_ratio": dict(image_size=(6, 4), shuffle=False, batch_size=3,
                                    pad_to_aspect_ratio=True),
    "img_no_labels_channels_first": dict(image_size=(4, 4), shuffle=False, labels=None,
                                         data_format="channels_first", batch_size=5),
    "img_explicit_labels": dict(image_size=(3, 3), shuffle=False,
                                labels=[1, 0, 2, 2, 0, 1, 1, 0, 2], batch_size=4),
}


@pytest.mark.parametrize("name", sorted(IMAGE_CASES))
def test_image_dataset_matches_keras(name):
    kwargs = IMAGE_CASES[name]
    dataset = utils.image_dataset_from_directory(str(DATA / "images"), verbose=False, **kwargs)
    assert dataset.class_names == META[name]["class_names"]
    assert relative(dataset.file_paths) == META[name]["file_paths"]
    assert len(dataset) == -(-len(dataset.file_paths) // kwargs["batch_size"])
    expected = keras_parts(name)
    got = collect(dataset)
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        assert mine.shape == theirs.shape
        assert mine.dtype == theirs.dtype, (mine.dtype, theirs.dtype)
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("seed", [7, 1234])
def test_image_shuffle_order_matches_keras(seed):
    dataset = utils.image_dataset_from_directory(str(DATA / "images"), image_size=(4, 4),
                                                 seed=seed, verbose=False)
    assert relative(dataset.file_paths) == META[f"img_shuffled_seed{seed}"]["file_paths"]


def test_image_validation_split_matches_keras():
    train, val = utils.image_dataset_from_directory(
        str(DATA / "images"), image_size=(4, 4), validation_split=0.25, subset="both", seed=3,
        verbose=False)
    assert relative(train.file_paths) == META["img_split_training"]["file_paths"]
    assert relative(val.file_paths) == META["img_split_validation"]["file_paths"]
    for mine, theirs in zip(collect(val), keras_parts("img_split_validation")):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-3)
    val = utils.image_dataset_from_directory(
        str(DATA / "images"), image_size=(4, 4), validation_split=0.4, subset="validation",
        shuffle=False, verbose=False)
    assert relative(val.file_paths) == META["img_split_validation_unshuffled"]["file_paths"]
    with pytest.raises(ValueError, match="seed"):
        utils.image_dataset_from_directory(str(DATA / "images"), validation_split=0.2,
                                           subset="training", verbose=False)


def test_directory_without_images_names_it_and_the_formats(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "readme.txt").write_text("x")
    with pytest.raises(ValueError, match=f"No images found in directory {tmp_path}.*"
                                         r"\.bmp.*\.gif.*\.jpeg.*\.jpg.*\.png"):
        utils.image_dataset_from_directory(str(tmp_path), verbose=False)
    with pytest.raises(ValueError, match="does not exist"):
        utils.image_dataset_from_directory(str(tmp_path / "missing"), verbose=False)


def test_binary_needs_two_classes():
    with pytest.raises(ValueError, match="exactly 2"):
        utils.image_dataset_from_directory(str(DATA / "images"), label_mode="binary",
                                           verbose=False)


def test_image_dataset_trains_with_workers_and_reshuffles():
    dataset = utils.image_dataset_from_directory(
        str(DATA / "images"), image_size=(4, 4), batch_size=4, seed=1, verbose=False)
    dataset.workers = 2
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Input((4, 4, 3)), layers.Flatten(),
                              layers.Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    first = [p for p in dataset.file_paths]
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    # The first pass keeps Keras's order; each epoch's end reshuffles (seeded).
    again = utils.image_dataset_from_directory(str(DATA / "images"), image_size=(4, 4),
                                               batch_size=4, seed=1, verbose=False)
    again.on_epoch_end()
    np.testing.assert_array_equal(again._order, np.random.RandomState(1).permutation(9))
    assert dataset.file_paths == first


TEXT_CASES = {
    "txt_int": dict(shuffle=False, batch_size=3),
    "txt_categorical_max5": dict(shuffle=False, label_mode="categorical", max_length=5),
    "txt_binary_training": dict(shuffle=False, label_mode="binary", validation_split=0.3,
                                subset="training"),
}


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_text_dataset_matches_keras(name):
    dataset = utils.text_dataset_from_directory(str(DATA / "texts"), verbose=False,
                                                **TEXT_CASES[name])
    assert dataset.class_names == META[name]["class_names"]
    texts, labels = collect(dataset)
    assert list(texts) == META[name]["texts"]
    expected = ARRAYS[f"{name}/1"]
    assert labels.dtype == expected.dtype and labels.shape == expected.shape
    np.testing.assert_array_equal(labels, expected)


def test_text_unbatched_and_shuffled_match_keras():
    dataset = utils.text_dataset_from_directory(str(DATA / "texts"), labels=None,
                                                shuffle=False, batch_size=None, verbose=False)
    assert [dataset[i] for i in range(len(dataset))] == META["txt_no_labels"]["texts"]
    unshuffled = utils.text_dataset_from_directory(str(DATA / "texts"), shuffle=False,
                                                   verbose=False)
    dataset = utils.text_dataset_from_directory(str(DATA / "texts"), seed=5, verbose=False)
    # Keras's text data sets keep no file_paths: its documented listing order
    # (np.random.RandomState(seed).shuffle of the sorted paths, checked against
    # Keras for images above) and the same texts as Keras.
    expected = list(unshuffled.file_paths)
    np.random.RandomState(5).shuffle(expected)
    assert dataset.file_paths == expected
    assert sorted(collect(dataset)[0]) == sorted(META["txt_shuffled_seed5"]["texts"])


TS_DATA = np.arange(100, dtype="float32").reshape(50, 2) * np.array([1, -1], "float32")
TS_TARGETS = np.arange(50, dtype="int32") * 10
TS_CASES = {
    "ts_doc_example": dict(data=np.arange(99), targets=None, sequence_length=10,
                           sampling_rate=2, sequence_stride=3, batch_size=4),
    "ts_targets": dict(data=TS_DATA, targets=TS_TARGETS, sequence_length=4, batch_size=8),
    "ts_start_end": dict(data=TS_DATA, targets=TS_TARGETS, sequence_length=3, sampling_rate=2,
                         start_index=5, end_index=40, batch_size=6),
}


@pytest.mark.parametrize("name", sorted(TS_CASES))
def test_timeseries_matches_keras(name):
    kwargs = TS_CASES[name]
    dataset = utils.timeseries_dataset_from_array(**kwargs)
    expected = keras_parts(name)
    got = collect(dataset)
    assert len(dataset) == -(-len(expected[0]) // kwargs["batch_size"])
    for mine, theirs in zip(got, expected):
        np.testing.assert_array_equal(mine, theirs)


def test_timeseries_unbatched_and_shuffled():
    dataset = utils.timeseries_dataset_from_array(TS_DATA, None, sequence_length=5,
                                                  sequence_stride=7, batch_size=None)
    np.testing.assert_array_equal(np.stack([dataset[i] for i in range(len(dataset))]),
                                  ARRAYS["ts_unbatched/0"])
    dataset = utils.timeseries_dataset_from_array(TS_DATA, TS_TARGETS, sequence_length=4,
                                                  shuffle=True, seed=11, batch_size=16)
    windows, targets = collect(dataset)
    keras_windows, keras_targets = keras_parts("ts_shuffled")
    # The same windows; Keras's grain adds its own permutation on top of the
    # seeded start-position shuffle, which is what brickwork's order is.
    order, keras_order = np.argsort(targets), np.argsort(keras_targets)
    np.testing.assert_array_equal(windows[order], keras_windows[keras_order])
    starts = np.arange(47)
    np.random.RandomState(11).shuffle(starts)
    np.testing.assert_array_equal(targets, TS_TARGETS[starts])


def test_timeseries_argument_errors():
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="start_index"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, start_index=20)


@pytest.mark.parametrize("case", META["split_sizes"], ids=str)
def test_split_sizes_match_keras(case):
    total, left, right, expected = case
    if isinstance(expected, str):
        with pytest.raises({"ValueError": ValueError, "TypeError": TypeError}[expected]):
            utils.split_dataset(np.arange(total), left_size=left, right_size=right)
        return
    a, b = utils.split_dataset(np.arange(total), left_size=left, right_size=right)
    assert [a.num_samples, b.num_samples] == expected
    np.testing.assert_array_equal(a.as_arrays(), np.arange(expected[0]))
    np.testing.assert_array_equal(b.as_arrays(), np.arange(total - expected[1], total))


def test_split_shuffled_matches_keras():
    data = (np.arange(12).reshape(6, 2), np.arange(6) * 10)
    state = random.getstate()
    left, right = utils.split_dataset(data, left_size=0.5, shuffle=True, seed=42)
    assert random.getstate() == state
    for side, dataset in (("left", left), ("right", right)):
        for mine, theirs in zip(dataset.as_arrays(), keras_parts(f"split_shuffled_{side}")):
            np.testing.assert_array_equal(mine, theirs)
    x, y = left[0]
    assert x.shape == (2,) and y.shape == ()


def test_split_results_train_after_batching():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    train, test = utils.split_dataset((x, y), right_size=8)
    model = keras.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"\.batch\("):
        model.fit(train, verbose=0)
    model.fit(train.batch(8), epochs=1, verbose=0)
    assert model.predict(test.batch(4), verbose=0).shape == (8, 1)
    torch = pytest.importorskip("torch")
    from torch.utils.data import TensorDataset
    a, b = utils.split_dataset(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                               left_size=0.75)
    np.testing.assert_array_equal(a.as_arrays()[0], x[:30])
    np.testing.assert_array_equal(b.as_arrays()[1], y[30:])


# -- audio: Keras needs TensorFlow for it, so its documented behaviour ---------------

def write_wav(path, samples, rate=8000):
    samples = np.asarray(samples, dtype="<i2")
    if samples.ndim == 1:
        samples = samples[:, None]
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())


def test_audio_dataset(tmp_path):
    clips = {"no/a.wav": [100, -200, 300], "no/b.wav": [1, 2, 3, 4, 5],
             "yes/c.wav": [-32768, 32767], "yes/readme.txt": None}
    for name, values in clips.items():
        if values is None:
            (tmp_path / name).write_text("x")
        else:
            write_wav(tmp_path / name, values)
    dataset = utils.audio_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False,
                                                 verbose=False)
    assert dataset.class_names == ["no", "yes"]
    x0, y0 = dataset[0]
    assert x0.shape == (2, 5, 1) and x0.dtype == np.float32     # padded to the longest
    np.testing.assert_allclose(x0[0, :, 0], np.array([100, -200, 300, 0, 0]) / 32768)
    np.testing.assert_array_equal(y0, [0, 0])
    x1, y1 = dataset[1]
    np.testing.assert_allclose(x1[0, :, 0], [-1.0, 32767 / 32768])
    fixed = utils.audio_dataset_from_directory(str(tmp_path), batch_size=3, shuffle=False,
                                               output_sequence_length=4,
                                               label_mode="categorical", verbose=False)
    x, y = fixed[0]
    assert x.shape == (3, 4, 1)
    np.testing.assert_allclose(x[1, :, 0], np.array([1, 2, 3, 4]) / 32768)
    np.testing.assert_array_equal(y, [[1, 0], [1, 0], [0, 1]])
    with pytest.raises(ValueError, match="not at sampling_rate=16000"):
        utils.audio_dataset_from_directory(str(tmp_path), sampling_rate=16000, shuffle=False,
                                           verbose=False)[0]
    (tmp_path / "silent" / "only").mkdir(parents=True)
    (tmp_path / "silent" / "only" / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match=r"No audio files found in directory .*silent.*\.wav"):
        utils.audio_dataset_from_directory(str(tmp_path / "silent"), verbose=False)


# -- fit's steps_per_epoch rules, against Keras ----------------------------------------

def _fixture_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_keras_data_utils",
                                                  FIXTURES / "make_keras_data_utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fit_steps_per_epoch_rules_match_keras():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "ran out of data", as Keras warns too
        results = _fixture_module().fit_semantics(keras)
    for name, weights in results.items():
        for i, mine in enumerate(weights):
            np.testing.assert_allclose(mine, ARRAYS[f"fit_{name}/{i}"], rtol=1e-5, atol=1e-6,
                                       err_msg=name)
