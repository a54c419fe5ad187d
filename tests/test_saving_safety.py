"""Malformed and hostile archives fail with clear errors; saves are atomic."""
import base64
import io
import json
import marshal
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time
import zipfile

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brickwork
from brickwork import layers
from brickwork.saving import atomic, saving_lib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _model():
    return brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4, activation="relu"),
                                 layers.Dense(2)])


@pytest.fixture
def archive_bytes():
    buffer = io.BytesIO()
    brickwork.saving.save_model(_model(), buffer)
    return buffer.getvalue()


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def _load(data, **kwargs):
    return brickwork.saving.load_model(io.BytesIO(data), **kwargs)


def _replace_h5(members, build):
    """Members with model.weights.h5 rebuilt by ``build(h5_file)`` from the original."""
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as h5:
        build(h5)
    return {**members, "model.weights.h5": buffer.getvalue()}


# -- malformed archives -------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 10, 200, 0.5, 0.99])
def test_truncated_archive(archive_bytes, keep):
    size = keep if isinstance(keep, int) else int(len(archive_bytes) * keep)
    with pytest.raises(ValueError, match="not a valid .keras archive|truncated|corrupt|cannot "
                                         "read"):
        _load(archive_bytes[:size])


@pytest.mark.parametrize("missing", ["config.json", "model.weights.h5"])
def test_missing_member(archive_bytes, missing):
    members = _members(archive_bytes)
    del members[missing]
    with pytest.raises(ValueError, match=f"member '{missing}' is missing"):
        _load(_zip(members))


def test_wrong_shape_in_weights(archive_bytes):
    def shrink(h5):
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = np.zeros((3, 5), "float32")
    with pytest.raises(ValueError, match=r"Dense 'dense' at 'layers/dense'.*\(3, 5\).*\(3, 4\)"):
        _load(_zip(_replace_h5(_members(archive_bytes), shrink)))


def test_missing_and_extra_variables(archive_bytes):
    def drop(h5):
        del h5["layers/dense_1/vars/1"]
    with pytest.raises(ValueError, match="expected 2 variables, but received 1"):
        _load(_zip(_replace_h5(_members(archive_bytes), drop)))


def test_unknown_class_name(archive_bytes):
    members = _members(archive_bytes)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Teleporter"
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(TypeError, match="Could not locate layer class 'Teleporter'"):
        _load(_zip(members))


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "a/../../b", "C:\\x", "..\\x"])
def test_path_traversal_member_names(archive_bytes, name):
    members = {**_members(archive_bytes), name: b"boo"}
    with pytest.raises(ValueError, match="path traversal"):
        _load(_zip(members))


def _declare_size(data, member, size):
    """The archive with ``member``'s declared uncompressed size set to ``size``
    (in both its local header and the central directory)."""
    data = bytearray(data)
    encoded = member.encode()
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30),
                                                (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = struct.unpack_from("<H", data, start + name_offset - 4 -
                                             (0 if signature == b"PK\x03\x04" else 14))[0]
            if data[start + name_offset:start + name_offset + name_length] == encoded:
                struct.pack_into("<I", data, start + size_offset, size)
            start += 4
    return bytes(data)


def test_huge_declared_size_of_a_stored_member(archive_bytes):
    with pytest.raises(ValueError, match="declares 2147483647 bytes"):
        _load(_declare_size(archive_bytes, "config.json", 0x7FFFFFFF))


def test_zip_bomb_member_is_refused_before_reading(archive_bytes, monkeypatch):
    members = _members(archive_bytes)
    members["model.weights.h5"] = members["model.weights.h5"] + b"\0" * 200_000
    data = _zip(members, compression=zipfile.ZIP_DEFLATED)
    monkeypatch.setattr(saving_lib, "ZIP_BOMB_FLOOR_BYTES", 1 << 20)
    with pytest.raises(ValueError, match="decompression bomb"):
        _load(_declare_size(data, "model.weights.h5", 0x7FFFFFFF))


def test_h5_dataset_bomb(archive_bytes):
    def bomb(h5):
        del h5["layers/dense/vars/0"]
        h5.create_dataset("layers/dense/vars/0", shape=(1 << 20, 1 << 12), dtype="float32",
                          chunks=(1024, 1024), compression="gzip")
    with pytest.raises(ValueError, match="decompression bomb"):
        _load(_zip(_replace_h5(_members(archive_bytes), bomb)))


@pytest.mark.parametrize("link", ["soft", "external"])
def test_h5_links_are_refused(archive_bytes, link):
    def relink(h5):
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = (h5py.SoftLink("/layers/dense_1/vars/0") if link == "soft"
                                     else h5py.ExternalLink("/etc/passwd", "/x"))
    with pytest.raises(ValueError, match="Not allowed"):
        _load(_zip(_replace_h5(_members(archive_bytes), relink)))


def test_weights_member_that_is_not_hdf5(archive_bytes):
    members = {**_members(archive_bytes), "model.weights.h5": b"this is not hdf5" * 10}
    with pytest.raises(ValueError, match="not an HDF5 file"):
        _load(_zip(members))


@pytest.mark.parametrize("payload, message", [(b"{not json", "not valid JSON"),
                                              (b"[1, 2]", "must hold a JSON object"),
                                              (b"\xff\xfe", "not valid JSON"),
                                              (b"[" * 100_000, "not valid JSON")])
def test_bad_config_json(archive_bytes, payload, message):
    members = {**_members(archive_bytes), "config.json": payload}
    with pytest.raises(ValueError, match=message):
        _load(_zip(members))


def test_corrupted_member_fails_its_crc(archive_bytes):
    data = bytearray(archive_bytes)
    start = data.find(b"\x89HDF")
    data[start + 100] ^= 0xFF
    with pytest.raises(ValueError, match="CRC"):
        _load(bytes(data))


def test_lambda_in_archive_needs_safe_mode_off(archive_bytes):
    members = _members(archive_bytes)
    config = json.loads(members["config.json"])
    code = base64.b64encode(marshal.dumps((lambda: 1).__code__)).decode()
    config["config"]["layers"][1]["config"]["activation"] = {
        "class_name": "__lambda__", "config": {"value": code}}
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(ValueError, match="safe_mode=False"):
        _load(_zip(members))


# -- what a file may make the loader allocate ---------------------------------------
#
# Each hostile file below declares far more than it stores. It is loaded in a
# child process whose address space is limited to 2 GiB, so a loader that
# allocates what the file declares fails the test instead of the machine.

_CHILD_ADDRESS_SPACE = 2 << 30
#: RLIMIT_AS (and the memory it bounds) behaves as tested on Linux only.
_LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the child's address-space limit needs Linux")
_LOAD_IN_CHILD = textwrap.dedent("""
    import json, resource, sys
    path, into, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import brickwork
    from brickwork import saving
    try:
        if into == "-":
            brickwork.models.load_model(path)
        else:
            brickwork.models.load_model(into).load_weights(path)
        result = {"outcome": "loaded"}
    except Exception as exc:
        result = {"outcome": type(exc).__name__, "message": str(exc),
                  "loader_error": isinstance(exc, getattr(saving, "LoadError", ()))}
    # VmHWM, this process image's own peak: getrusage's ru_maxrss keeps the
    # peak of the process that forked it (the test runner) across exec.
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    result["peak_rss_bytes"] = peak_kb * 1024
    print(json.dumps(result))
""")


def _load_in_child(path, into=None, limit=None):
    """Load the archive ``path`` (or the weights file ``path`` into the model
    of the archive ``into``) in a child process under the address-space limit
    (and the load limit ``limit``, else the default); its outcome, error
    message and peak resident memory."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
        [os.path.join(REPO, "core"), os.environ.get("PYTHONPATH", "")])}
    env.pop("BRICKWORK_MAX_LOAD_BYTES", None)
    if limit is not None:
        env["BRICKWORK_MAX_LOAD_BYTES"] = limit
    child = subprocess.run([sys.executable, "-c", _LOAD_IN_CHILD, str(path), str(into or "-"),
                            str(_CHILD_ADDRESS_SPACE)], capture_output=True, text=True,
                           env=env, timeout=600)
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def _assert_refused(result, *fragments):
    """Refused with the loader's LoadLimitError, which names what and how to
    raise the limit, before anything near the declared size was allocated."""
    assert result["outcome"] == "LoadLimitError", result
    for fragment in fragments + ("set_max_load_bytes(", "BRICKWORK_MAX_LOAD_BYTES",
                                 "268435456 bytes"):
        assert fragment in result["message"], (fragment, result["message"])
    assert result["peak_rss_bytes"] < 512 << 20, result


@pytest.fixture(scope="module")
def trained_archive(tmp_path_factory):
    """An archive of a fitted model: Dense(4) on 3 inputs, Adam's moments saved."""
    model = _model_with_one_dense()
    model.compile("adam", "mse")
    model.fit(np.zeros((4, 3)), np.zeros((4, 4)), verbose=0)
    path = tmp_path_factory.mktemp("trained") / "trained.keras"
    model.save(path)
    return path


def _model_with_one_dense():
    return brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4)])


def _with_config(archive_path, edit, tmp_path, name="hostile.keras"):
    """A copy of the archive with its config changed by ``edit(config)``."""
    members = _members(archive_path.read_bytes())
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / name
    path.write_bytes(_zip(members))
    return path


def _dense_on(width, units):
    """A config edit: the Dense layer has ``units`` units on ``width`` inputs."""
    def edit(config):
        inner = config["config"]
        inner["layers"][0]["config"]["batch_shape"] = [None, width]
        inner["layers"][1]["config"]["units"] = units
        inner["layers"][1]["build_config"]["input_shape"] = [None, width]
        inner["build_input_shape"] = config["build_config"]["input_shape"] = [None, width]
    return edit


@_LINUX_ONLY
def test_config_declaring_far_larger_weights_than_stored_is_refused(trained_archive, tmp_path):
    """Dense(12000) on 12000 inputs, a (3, 4) kernel stored: refused before the
    kernel (549 MiB, then Adam's two moments) is allocated (was: 3.4 GB peak)."""
    path = _with_config(trained_archive, _dense_on(12000, 12000), tmp_path)
    assert path.stat().st_size < 32_000
    _assert_refused(_load_in_child(path), "/kernel' of shape (12000, 12000)",
                    "576000000 bytes", "stores no dataset of that shape")


@_LINUX_ONLY
def test_absurd_units_is_refused_with_the_loaders_error(trained_archive, tmp_path):
    """units=10**12: the loader's error, not a raw MemoryError for 29.1 TiB."""
    path = _with_config(trained_archive, _dense_on(3, 10**12), tmp_path)
    _assert_refused(_load_in_child(path), "/kernel' of shape (3, 1000000000000)")


@_LINUX_ONLY
def test_config_of_80_million_empty_objects_is_refused_while_read(trained_archive, tmp_path):
    """A config.json just under the 256 MB cap made of empty {} (deflated to
    ~240 KB): refused from the parse estimate of its first megabytes (was:
    4.8 GB and 22 s to a raw MemoryError)."""
    members = _members(trained_archive.read_bytes())
    path = tmp_path / "objects.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("config.json", "w", force_zip64=True) as config:
            config.write(b"[{}")
            chunk = b",{}" * (1 << 20)
            for _ in range(80):
                config.write(chunk)
            config.write(b"]")
        for name in ("metadata.json", "model.weights.h5"):
            archive.writestr(name, members[name])
    assert path.stat().st_size < 400_000
    _assert_refused(_load_in_child(path), "parsing config.json", "GiB", "in all")


def _h5_with_unstored_kernel(weights, shape, dtype):
    """The weights with layers/dense/vars/0 replaced by a dataset that declares
    ``shape`` and stores nothing."""
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "a") as h5:
        del h5["layers/dense/vars/0"]
        h5.create_dataset("layers/dense/vars/0", shape=shape, dtype=dtype)
    return buffer.getvalue()


@pytest.mark.parametrize("shape, dtype, declared", [((20000, 20000), "float32", 1_600_000_000),
                                                    ((21000, 21000), "float64", 3_528_000_000)])
@pytest.mark.parametrize("how", ["load_model", "load_weights"])
@_LINUX_ONLY
def test_h5_dataset_declaring_more_than_it_stores_is_not_read(trained_archive, tmp_path, shape,
                                                              dtype, declared, how):
    """1.6 and 3.5 GB declared, nothing stored (under the 4 GiB bomb floor):
    refused before reading (was: read whole, 21 KB -> 3.1 GB)."""
    members = _members(trained_archive.read_bytes())
    weights = _h5_with_unstored_kernel(members["model.weights.h5"], shape, dtype)
    if how == "load_model":
        path = tmp_path / "unstored.keras"
        path.write_bytes(_zip({**members, "model.weights.h5": weights}))
        result = _load_in_child(path)
    else:
        path = tmp_path / "unstored.weights.h5"
        path.write_bytes(weights)
        result = _load_in_child(path, into=trained_archive)
    _assert_refused(result, "reading dataset 'layers/dense/vars/0'", f"({declared} bytes)",
                    f"it declares {declared} bytes and stores 0")


@_LINUX_ONLY
def test_serialized_array_with_a_huge_dtype_is_refused(trained_archive, tmp_path):
    """A __numpy__ value of dtype U200000000: 800 MB from about 1 KB of config."""
    def edit(config):
        config["config"]["layers"][1]["config"]["kernel_initializer"] = {
            "class_name": "__numpy__", "config": {"value": "a", "dtype": "U200000000"}}
    path = _with_config(trained_archive, edit, tmp_path)
    _assert_refused(_load_in_child(path), "a serialized array of dtype <U200000000",
                    "800000000 bytes")


@_LINUX_ONLY
def test_stateful_rnn_batch_size_is_refused(tmp_path):
    """States are not saved: a stateful LSTM's batch size of 10**9 in the
    config would allocate 30 GB of them."""
    model = brickwork.Sequential([brickwork.Input((5, 3), batch_size=2),
                                  layers.LSTM(4, stateful=True)])
    model.save(tmp_path / "rnn.keras")
    members = _members((tmp_path / "rnn.keras").read_bytes())
    members["config.json"] = members["config.json"].replace(b"[2, 5, 3]", b"[1000000000, 5, 3]")
    path = tmp_path / "huge_batch.keras"
    path.write_bytes(_zip(members))
    _assert_refused(_load_in_child(path), "states of stateful layer 'lstm' for batch size "
                                          "1000000000")


@_LINUX_ONLY
def test_metric_thresholds_are_refused(tmp_path):
    """AUC(num_thresholds=10**9) in the compile config: 32 GB of thresholds."""
    model = brickwork.Sequential([brickwork.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=[brickwork.metrics.AUC()])
    model.save(tmp_path / "auc.keras")
    members = _members((tmp_path / "auc.keras").read_bytes())
    members["config.json"] = members["config.json"].replace(b'"num_thresholds": 200',
                                                            b'"num_thresholds": 1000000000')
    path = tmp_path / "thresholds.keras"
    path.write_bytes(_zip(members))
    _assert_refused(_load_in_child(path), "metric 'AUC' with num_thresholds=1000000000")


@_LINUX_ONLY
def test_compressed_weights_member_declaring_more_than_it_stores(trained_archive, tmp_path):
    """A deflated model.weights.h5 of 64 MB (mostly zeros, ~64 KB stored) is
    refused before it is decompressed, here under a 16 MiB limit."""
    members = _members(trained_archive.read_bytes())
    path = tmp_path / "deflated.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("metadata.json", "config.json"):
            archive.writestr(name, members[name])
        with archive.open("model.weights.h5", "w") as weights:
            weights.write(members["model.weights.h5"])
            zeros = bytes(1 << 20)
            for _ in range(64):
                weights.write(zeros)
    assert path.stat().st_size < 200_000
    result = _load_in_child(path, limit="16M")
    assert result["outcome"] == "LoadLimitError", result
    assert "decompressing member 'model.weights.h5'" in result["message"]
    assert "at most 16.0 MiB" in result["message"]


def test_optimizer_slots_of_unstored_variables_count(trained_archive, tmp_path, load_limit):
    """A 16 MiB kernel the file does not store fits a 48 MiB limit, but not
    with the Adam moments the optimizer would add for it."""
    path = _with_config(trained_archive, _dense_on(2048, 2048), tmp_path)
    load_limit("48M")
    with pytest.raises(brickwork.saving.LoadLimitError, match="the optimizer's slots"):
        brickwork.models.load_model(path)
    with pytest.raises(brickwork.saving.WeightsFileError, match=r"\(3, 4\), expected "
                                                                r"\(2048, 2048\)"):
        brickwork.models.load_model(path, compile=False)


@pytest.fixture
def load_limit():
    """Restores the process-wide load limit after the test."""
    previous = brickwork.saving.set_max_load_bytes(None)
    yield brickwork.saving.set_max_load_bytes
    brickwork.saving.set_max_load_bytes(previous)


def test_the_load_limit_is_adjustable(archive_bytes, load_limit, monkeypatch):
    assert brickwork.saving.get_max_load_bytes() == 256 << 20
    load_limit(1000)
    with pytest.raises(brickwork.saving.LoadLimitError, match=r"at most 1000 bytes"):
        _load(archive_bytes)
    load_limit(None)
    monkeypatch.setenv("BRICKWORK_MAX_LOAD_BYTES", "1K")
    assert brickwork.saving.get_max_load_bytes() == 1024
    with pytest.raises(ValueError, match=r"at most 1\.0 KiB \(1024 bytes\)"):
        _load(archive_bytes)
    monkeypatch.setenv("BRICKWORK_MAX_LOAD_BYTES", "4GiB")
    assert brickwork.saving.get_max_load_bytes() == 4 << 30
    load_limit("512M")  # the setting wins over the environment
    assert brickwork.saving.get_max_load_bytes() == 512 << 20
    with pytest.raises(ValueError, match="expected a number of bytes"):
        load_limit("lots")


def test_the_suggested_limit_lets_a_trusted_file_load(archive_bytes, load_limit):
    """What the refusal suggests is enough: raise the limit as it says and the
    same file loads."""
    import re
    load_limit(1)
    with pytest.raises(brickwork.saving.LoadLimitError) as refused:
        _load(archive_bytes)
    suggested = int(re.search(r"set_max_load_bytes\((\d+)\)", str(refused.value)).group(1))
    load_limit(suggested)
    assert len(_load(archive_bytes).weights) == 4


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_trusted_files_load_with_the_default_limit(tmp_path):
    """Weights the file stores are not charged, however large; an optimizer
    that was not saved (compiled, never fitted) is built at load, as before."""
    big = brickwork.Sequential([brickwork.Input((2048,)), layers.Dense(2048), layers.Dense(3)])
    big.compile("adam", "mse")
    big.optimizer.build(big.trainable_variables)
    fresh = brickwork.Sequential([brickwork.Input((2048,)), layers.Dense(2048)])
    fresh.compile("adam", "mse")
    for model, name in ((big, "big.keras"), (fresh, "fresh.keras")):
        model.save(tmp_path / name)
        loaded = brickwork.models.load_model(tmp_path / name)
        for saved, expected in zip(loaded.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(saved, expected)
    with brickwork.saving.load_limits.LoadBudget("probe", limit=0) as budget:
        budget.back_variables_with([((2048, 2048), 2048 * 2048)])
        budget.claim_variable((2048, 2048), "float32", "dense/kernel")  # backed: free
        with pytest.raises(brickwork.saving.LoadLimitError, match="stores no dataset"):
            budget.claim_variable((2048, 2048), "float32", "dense/kernel")  # only one stored


def _legitimate_models():
    inputs = brickwork.Input((5, 3))
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(inputs)
    x = layers.TimeDistributed(layers.Dense(3))(x)
    x = layers.MultiHeadAttention(2, 4)(x, x)
    x = layers.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d")(x)
    yield brickwork.Model(inputs, layers.GRU(3)(layers.LayerNormalization()(x)))
    image = brickwork.Input((8, 8, 3))
    x = layers.BatchNormalization()(layers.Conv2D(4, 3)(image))
    x = layers.Conv2DTranspose(2, 3)(layers.DepthwiseConv2D(3)(layers.SeparableConv2D(4, 3)(x)))
    yield brickwork.Model(image, layers.PReLU()(layers.GlobalAveragePooling2D()(x)))
    inner = brickwork.Sequential([brickwork.Input((4,)), layers.Dense(3)])
    inputs = brickwork.Input((4,))
    yield brickwork.Model(inputs, layers.Dense(2)(inner(inputs)))
    yield brickwork.Sequential([brickwork.Input((5,), dtype="int32"), layers.Embedding(50, 4),
                                layers.SimpleRNN(3), layers.Dropout(0.1), layers.Dense(1)])


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
@pytest.mark.parametrize("optimizer", ["none", "compiled", "built"])
def test_legitimate_files_are_charged_only_their_config(monkeypatch, optimizer):
    """Every variable a saved model rebuilds is backed by a stored dataset (a
    Bidirectional layer used to build a template LSTM it then threw away)."""
    charged = []
    charge = brickwork.saving.load_limits.LoadBudget.charge
    monkeypatch.setattr(brickwork.saving.load_limits.LoadBudget, "charge",
                        lambda self, nbytes, what, *args: charged.append(what) or
                        charge(self, nbytes, what, *args))
    for model in _legitimate_models():
        if optimizer != "none":
            model.compile("adam", "mse")
        if optimizer == "built":
            model.optimizer.build(model.trainable_variables)
        buffer = io.BytesIO()
        brickwork.saving.save_model(model, buffer)
        charged.clear()
        brickwork.saving.load_model(io.BytesIO(buffer.getvalue()))
        assert [what.split(" (")[0] for what in charged] == ["parsing config.json"]


def test_every_load_failure_is_the_loaders_error(archive_bytes):
    """An unknown class stays a TypeError (as in Keras) and a mismatch a
    ValueError; both are LoadErrors."""
    members = _members(archive_bytes)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "Teleporter"
    with pytest.raises(TypeError, match="Teleporter") as unknown:
        _load(_zip({**members, "config.json": json.dumps(config).encode()}))
    assert isinstance(unknown.value, brickwork.saving.LoadError)
    config = json.loads(members["config.json"])
    config["config"]["layers"][2]["config"]["units"] = 5
    with pytest.raises(brickwork.saving.LoadError, match=r"\(4, 2\), expected \(4, 5\)"):
        _load(_zip({**members, "config.json": json.dumps(config).encode()}))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=40)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(value=_JSON, ascii_only=st.booleans())
def test_json_cost_estimate_bounds_what_parsing_takes(value, ascii_only):
    """The estimate the config is refused on is an upper bound of what
    json.loads allocates."""
    import tracemalloc
    text = json.dumps(value, ensure_ascii=ascii_only).encode()
    estimate = brickwork.saving.load_limits.JsonCostEstimate()
    estimate.feed(text)
    tracemalloc.start()
    try:
        json.loads(text.decode("utf-8"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate.estimate


# -- found by tests/test_saving_fuzz.py ---------------------------------------------


def _flipped_weights(archive_bytes, offset, mask):
    members = _members(archive_bytes)
    weights = bytearray(members["model.weights.h5"])
    weights[offset] ^= mask
    return members, bytes(weights)


@pytest.mark.parametrize("offset, mask", [(16, 0xFF), (24, 0x01), (48, 0xFF), (152, 0xFF)])
def test_corrupt_hdf5_metadata_is_the_loaders_error(archive_bytes, offset, mask):
    """HDF5 raised RuntimeError, KeyError or OverflowError on these flipped
    bytes, opening the file or walking its datasets."""
    members, weights = _flipped_weights(archive_bytes, offset, mask)
    with pytest.raises(brickwork.saving.WeightsFileError, match="HDF5"):
        _load(_zip({**members, "model.weights.h5": weights}))


def test_hdf5_file_that_cannot_be_opened_is_the_loaders_error(archive_bytes, tmp_path):
    """h5py raised OverflowError opening it."""
    path = tmp_path / "flipped.weights.h5"
    path.write_bytes(_flipped_weights(archive_bytes, 48, 0xFF)[1])
    with pytest.raises(brickwork.saving.WeightsFileError, match="not a readable HDF5 file"):
        _model().load_weights(path)


@_LINUX_ONLY
def test_shape_inference_on_a_declared_input_is_refused(tmp_path):
    """Symbolic calls infer shapes by running layers on zeros of the input
    shape: an Input of 2**31 tokens made 64 GiB of them for the LSTM."""
    tokens = brickwork.Input((6,), dtype="int32")
    model = brickwork.Model(tokens, layers.LSTM(3)(layers.Embedding(20, 4)(tokens)))
    model.save(tmp_path / "tokens.keras")
    members = _members((tmp_path / "tokens.keras").read_bytes())
    members["config.json"] = members["config.json"].replace(b'"batch_shape": [null, 6]',
                                                            b'"batch_shape": [null, 2147483648]')
    path = tmp_path / "wide_input.keras"
    path.write_bytes(_zip(members))
    _assert_refused(_load_in_child(path), "on zeros of shape (2, 2147483648, 4)")


def test_functional_node_without_arguments_is_the_loaders_error(tmp_path):
    """A node with no arguments made Layer.__call__ raise StopIteration."""
    inputs = brickwork.Input((3,))
    model = brickwork.Model(inputs, layers.Dense(2)(layers.Dense(4)(inputs)))
    model.save(tmp_path / "functional.keras")
    members = _members((tmp_path / "functional.keras").read_bytes())
    config = json.loads(members["config.json"])
    del config["config"]["layers"][2]["inbound_nodes"][0]["args"]
    members["config.json"] = json.dumps(config).encode()
    with pytest.raises(brickwork.saving.ConfigError, match="StopIteration"):
        _load(_zip(members))


# -- fuzzing ------------------------------------------------------------------------

_FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))
def _load_or_clear_error(data):
    """A clean load or the loader's own error, with a message (the fuzzing
    in a memory-limited child is tests/test_saving_fuzz.py)."""
    try:
        _load(data)
    except brickwork.saving.LoadError as exc:
        assert str(exc), "errors must say what is wrong"


@pytest.fixture(scope="module")
def fuzz_seed_archive():
    buffer = io.BytesIO()
    brickwork.saving.save_model(_model(), buffer)
    return buffer.getvalue()


@_FUZZ
@given(data=st.data())
def test_fuzz_archive_bytes(fuzz_seed_archive, data):
    blob = bytearray(fuzz_seed_archive)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
        position = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == "flip" and blob:
            blob[position] ^= data.draw(st.integers(1, 255))
        elif kind == "truncate":
            del blob[position:]
        elif kind == "insert":
            blob[position:position] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            chunk = data.draw(st.binary(min_size=1, max_size=16))
            blob[position:position + len(chunk)] = chunk
    _load_or_clear_error(bytes(blob))


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(-2, 2, allow_nan=False)
    | st.text(max_size=6) | st.sampled_from(["Dense", "keras.layers", "relu", "__keras_tensor__",
                                             "__lambda__", "function", "config", "layers"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["class_name", "config", "module", "registered_name", "name",
                         "units", "shape"]) | st.text(max_size=4), children, max_size=3),
    max_leaves=6)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


@_FUZZ
@given(data=st.data())
def test_fuzz_config_structure(fuzz_seed_archive, data):
    members = _members(fuzz_seed_archive)
    config = json.loads(members["config.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(config) if p]
        path = data.draw(st.sampled_from(paths))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_JSON_VALUES)
        if not isinstance(config, dict):
            break
    members["config.json"] = json.dumps(config).encode()
    _load_or_clear_error(_zip(members))


# -- atomic saves -------------------------------------------------------------------


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model = _model()
    model.save(path)
    before = path.read_bytes()

    def exploding_weights(model):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(saving_lib, "weights_bytes", exploding_weights)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _model().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]  # the temporary file is gone


def test_atomic_write_keeps_file_mode(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    with atomic.atomic_write(path) as handle:
        handle.write(b"new")
    assert path.read_bytes() == b"new" and (os.stat(path).st_mode & 0o777) == 0o640


_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import brickwork
    from brickwork import layers
    path = sys.argv[1]
    model = brickwork.Sequential([brickwork.Input((512,)), layers.Dense(2048), layers.Dense(8)])
    i = 0
    while True:
        model.set_weights([np.full(w.shape, i, w.dtype) for w in model.get_weights()])
        model.save(path)
        if i == 0:
            print("saved", flush=True)
        i += 1
""")


def test_killed_save_leaves_previous_file_intact(tmp_path):
    """SIGKILL a process that saves (about 4 MB) over and over: whenever it
    dies, the file on disk is a complete archive of one of its saves."""
    path = tmp_path / "m.keras"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.join(REPO, "core"), os.environ.get("PYTHONPATH", "")])}
    for delay in (0.05, 0.3):
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)],
                                 stdout=subprocess.PIPE, env=env)
        try:
            assert child.stdout.readline().strip() == b"saved"
            time.sleep(delay)
        finally:
            child.kill()
            child.wait()
        model = brickwork.models.load_model(path)
        values = {float(w.flat[0]) for w in model.get_weights()}
        assert len(values) == 1  # every weight from the same save, none half-written
    # The killed saves may have left temp files; the next good save removes them.
    model.save(path)
    assert os.listdir(tmp_path) == ["m.keras"]


def test_stale_temp_files_go_and_live_ones_stay(tmp_path):
    path = tmp_path / "f.bin"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    host = socket.gethostname()
    dead = tmp_path / f".f.bin.{host}-{finished.stdout.strip()}.k2j4_x.tmp"
    live = tmp_path / f".f.bin.{host}-{os.getpid()}.a8b7c6.tmp"
    other_host = tmp_path / ".f.bin.elsewhere-1.a8b7c6.tmp"
    old_unowned, new_unowned = tmp_path / ".f.bin.zz9y8x.tmp", tmp_path / ".f.bin.qq1w2e.tmp"
    for stray in (dead, live, other_host, old_unowned, new_unowned):
        stray.write_bytes(b"partial")
    os.utime(old_unowned, (time.time() - 7200, time.time() - 7200))
    with atomic.atomic_write(path) as handle:
        handle.write(b"new")
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["f.bin", live.name, other_host.name, new_unowned.name])


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_loading_refuses_what_is_not_a_regular_file(tmp_path, kind):
    path = tmp_path / "m.keras"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        brickwork.models.load_model(path)
    with pytest.raises(ValueError, match="not a regular file"):
        _model().load_weights(path)


def test_saving_through_a_symbolic_link_replaces_its_target(tmp_path):
    target = tmp_path / "real" / "m.keras"
    target.parent.mkdir()
    model = _model()
    model.save(target)
    link = tmp_path / "link.keras"
    link.symlink_to(target)
    model.set_weights([w + 1.0 for w in model.get_weights()])
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    for loaded in (brickwork.models.load_model(target), brickwork.models.load_model(link)):
        for saved, expected in zip(loaded.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(saved, expected)
