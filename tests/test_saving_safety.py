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


# -- fuzzing ------------------------------------------------------------------------

_FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))
_ALLOWED = (ValueError, TypeError)


def _load_or_clear_error(data):
    try:
        _load(data)
    except _ALLOWED as exc:
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
