"""Fuzzing the loader with mutated archives and weight files.

Hypothesis mutates valid files (flipped bytes, truncations, changed shapes and
dtypes, swapped members, deep or wide JSON, hostile config values, HDF5
datasets that declare what they do not store) and a worker process loads
each one under an address-space limit (``RLIMIT_AS``). Every outcome must be
a clean load or the loader's own error (``brickwork.saving.LoadError``) with
a message, and the worker's resident memory may grow by at most
``PEAK_GROWTH_BOUND``: a ``MemoryError``, any other exception, a crash of the
worker, a load over the memory bound or one that takes longer than the time
bound is a finding, and fails the test with the mutation that caused it.

CI runs the ``_CI_EXAMPLES`` counts, 1500 cases in all (about 45 s on two
cores). For a longer run, set ``BRICKWORK_FUZZ_EXAMPLES`` (examples per
target), for example::

    BRICKWORK_FUZZ_EXAMPLES=5000 pytest tests/test_saving_fuzz.py -s

which also draws new examples each run (CI's are the same every time).
``BRICKWORK_FUZZ_REPORT=path.json`` writes the counts of outcomes and the
findings there (``-s`` prints the counts); ``BRICKWORK_FUZZ_KEEP_GOING=1``
records findings and goes on, and the last test fails if there were any.
"""
import collections
import io
import json
import os
import select
import subprocess
import sys
import tempfile
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [pytest.mark.filterwarnings("ignore:Duplicate name"),
              pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="the worker's memory limit and peak need Linux")]

FUZZ_EXAMPLES = int(os.environ.get("BRICKWORK_FUZZ_EXAMPLES", "0")) or None
KEEP_GOING = os.environ.get("BRICKWORK_FUZZ_KEEP_GOING", "") not in ("", "0")
_CI_EXAMPLES = {"bytes": 200, "members": 200, "config": 600, "weights": 500}
#: The worker's address space: the loader's own modules take about 0.5 GiB of
#: it, the load limit and what a legitimate load of the seeds needs fit easily
#: in the rest; a loader that allocates what a file declares does not.
ADDRESS_SPACE_BYTES = 2 << 30
#: Generous: a load of the seed models takes well under a second.
SECONDS_PER_LOAD = 60
#: The worker's load limit: a quarter of the default, so that mutations that
#: declare just under it (and are then built, then refused or loaded) cost
#: less time; the mechanism is the same at any limit.
LOAD_LIMIT_BYTES = 64 << 20
#: What one load may add to the worker's resident memory: the seeds and what
#: they store are tiny, so this is the load limit for what a file declares,
#: plus the temporaries made on its way: an initializer draws a float32
#: variable's values in float64 before casting them (3x its size at once).
PEAK_GROWTH_BOUND = 4 * LOAD_LIMIT_BYTES

_FUZZ = dict(deadline=None, database=None, derandomize=FUZZ_EXAMPLES is None,
             suppress_health_check=list(HealthCheck))


def _settings(target):
    return settings(max_examples=FUZZ_EXAMPLES or _CI_EXAMPLES[target], **_FUZZ)


# -- the worker that loads, under the memory limit ----------------------------------

_REPLY = "@@reply "
_WORKER = textwrap.dedent("""
    import json, resource, sys, time, traceback, warnings
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.simplefilter("ignore")
    import brickwork
    from brickwork import saving

    def resident_peak():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) * 1024

    def reset_peak():
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")

    models = {}
    for line in sys.stdin:
        request = json.loads(line)
        reset_peak()
        before = resident_peak()
        started = time.monotonic()
        try:
            if request["into"] is None:
                brickwork.models.load_model(request["path"])
            else:
                if request["into"] not in models:
                    models[request["into"]] = brickwork.models.load_model(request["into"])
                models[request["into"]].load_weights(request["path"],
                                                     skip_mismatch=request["skip_mismatch"])
            reply = {"outcome": "loaded"}
        except saving.LoadError as exc:
            reply = {"outcome": "refused", "type": type(exc).__name__, "message": str(exc)}
        except BaseException as exc:
            reply = {"outcome": "escaped", "type": type(exc).__name__, "message": str(exc),
                     "traceback": traceback.format_exc()}
        reply["message"] = reply.get("message", "")[:3000]
        reply["peak_growth_bytes"] = resident_peak() - before
        reply["seconds"] = round(time.monotonic() - started, 3)
        print(%r + json.dumps(reply), flush=True)
""" % _REPLY)


class LoadWorker:
    """A process that loads files on request, under ``ADDRESS_SPACE_BYTES``;
    restarted after a crash or a load that overran ``SECONDS_PER_LOAD``."""

    def __init__(self):
        self.process = None
        self.stderr = tempfile.TemporaryFile()
        self._pending = b""

    def start(self):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
            [os.path.join(REPO, "core"), os.environ.get("PYTHONPATH", "")])}
        env["BRICKWORK_MAX_LOAD_BYTES"] = str(LOAD_LIMIT_BYTES)
        self.stderr.seek(0)
        self.stderr.truncate()
        self._pending = b""
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(ADDRESS_SPACE_BYTES)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr, env=env)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
        self.process = None

    def load(self, path, into=None, skip_mismatch=False):
        """The worker's reply: outcome "loaded", "refused" (a LoadError),
        "escaped" (any other exception), "crashed" or "timeout"."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        request = {"path": str(path), "into": None if into is None else str(into),
                   "skip_mismatch": skip_mismatch}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            return self._crashed()
        return self._reply(time.monotonic() + SECONDS_PER_LOAD)

    def _reply(self, deadline):
        stdout = self.process.stdout.fileno()
        while True:
            for line in self._lines():
                if line.startswith(_REPLY.encode()):
                    return json.loads(line[len(_REPLY):])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                return {"outcome": "timeout", "message": f"no answer in {SECONDS_PER_LOAD} s"}
            ready, _, _ = select.select([stdout], [], [], remaining)
            if ready:
                chunk = os.read(stdout, 1 << 16)
                if not chunk:
                    return self._crashed()
                self._pending += chunk

    def _lines(self):
        *complete, self._pending = self._pending.split(b"\n")
        return complete

    def _crashed(self):
        returncode = self.process.wait()
        self.stderr.seek(0)
        tail = self.stderr.read()[-3000:].decode(errors="replace")
        self.process = None
        return {"outcome": "crashed", "message": f"exit status {returncode}", "stderr": tail}


class Tally:
    """What the fuzzing saw, per target: outcomes, error types, peak memory."""

    def __init__(self):
        self.outcomes = collections.defaultdict(collections.Counter)
        self.refusals = collections.Counter()
        self.largest_peak_growth = 0
        self.slowest = []  # (seconds, target, recipe), the five slowest loads
        self.findings = []
        self.started = time.monotonic()

    def record(self, target, reply, recipe):
        self.outcomes[target][reply["outcome"]] += 1
        if reply["outcome"] == "refused":
            self.refusals[reply["type"]] += 1
        self.largest_peak_growth = max(self.largest_peak_growth,
                                       reply.get("peak_growth_bytes", 0))
        self.slowest = sorted(self.slowest + [(reply.get("seconds", 0), target, recipe)],
                              key=lambda entry: -entry[0])[:5]
        if not _acceptable(reply):
            self.findings.append({"target": target, "recipe": recipe, "reply": reply})

    def summary(self):
        cases = sum(sum(counter.values()) for counter in self.outcomes.values())
        return {"cases": cases, "seconds": round(time.monotonic() - self.started, 1),
                "outcomes": {target: dict(counter) for target, counter in self.outcomes.items()},
                "refusals": dict(self.refusals),
                "largest_peak_growth_mib": round(self.largest_peak_growth / 2**20, 1),
                "slowest_loads": self.slowest, "findings": self.findings}


def _acceptable(reply):
    """A clean load or a LoadError with a message, within the memory bound."""
    if reply["outcome"] not in ("loaded", "refused"):
        return False
    if reply["outcome"] == "refused" and not reply["message"].strip():
        return False
    return reply.get("peak_growth_bytes", 0) <= PEAK_GROWTH_BOUND


@pytest.fixture(scope="module")
def worker():
    loader = LoadWorker()
    yield loader
    loader.stop()


@pytest.fixture(scope="module")
def tally():
    seen = Tally()
    yield seen
    summary = seen.summary()
    brief = {k: v for k, v in summary.items() if k not in ("findings", "slowest_loads")}
    print(f"\nfuzz summary: {json.dumps(brief)}"
          f"; {len(summary['findings'])} finding(s)")
    if os.environ.get("BRICKWORK_FUZZ_REPORT"):
        with open(os.environ["BRICKWORK_FUZZ_REPORT"], "w") as handle:
            json.dump(summary, handle, indent=1, default=repr)


def _check(worker, tally, target, recipe, path, into=None, skip_mismatch=False):
    """Load ``path`` in the worker; anything but a clean load or a LoadError
    with a message fails, naming the mutation."""
    reply = worker.load(path, into, skip_mismatch)
    tally.record(target, reply, recipe)
    if KEEP_GOING:
        return
    assert _acceptable(reply), (
        f"{reply['outcome']}: {reply.get('type', '')}: {reply['message']!r}\n"
        f"{reply.get('traceback', reply.get('stderr', ''))}\n"
        f"resident memory grew by {reply.get('peak_growth_bytes', 0)} bytes "
        f"(bound {PEAK_GROWTH_BOUND})\nmutations: {recipe}")


# -- the valid files the mutations start from ---------------------------------------


def _dense_model():
    model = brickwork.Sequential([brickwork.Input((3,)), layers.Dense(4, activation="relu"),
                                  layers.Dense(2)])
    model.compile("adam", "mse")
    return model


def _mixed_model():
    """Functional, two inputs: tokens through Embedding and LSTM, an image
    through Conv2D and BatchNormalization; AUC among its metrics."""
    tokens = brickwork.Input((6,), dtype="int32", name="tokens")
    image = brickwork.Input((6, 6, 1), name="image")
    text = layers.LSTM(3)(layers.Embedding(20, 4)(tokens))
    picture = layers.Flatten()(layers.BatchNormalization()(layers.Conv2D(2, 3)(image)))
    merged = layers.Concatenate()([text, picture])
    model = brickwork.Model([tokens, image], layers.Dense(1, activation="sigmoid")(merged))
    model.compile("rmsprop", "binary_crossentropy",
                  metrics=["accuracy", brickwork.metrics.AUC(num_thresholds=20)])
    return model


class Seeds(dict):
    """{name: (archive bytes, archive path, weights bytes)}, with a short repr
    for hypothesis' reports."""

    def __repr__(self):
        return f"Seeds({sorted(self)})"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """The seed models' files, optimizer state included."""
    folder = tmp_path_factory.mktemp("fuzz_seeds")
    found = Seeds()
    for name, build in (("dense", _dense_model), ("mixed", _mixed_model)):
        model = build()
        model.optimizer.build(model.trainable_variables)
        archive = folder / f"{name}.keras"
        model.save(archive)
        weights = folder / f"{name}.weights.h5"
        model.save_weights(weights)
        found[name] = (archive.read_bytes(), archive, weights.read_bytes())
    return found


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_cases")


# -- mutations of bytes -------------------------------------------------------------

_BYTE_OPS = ["flip", "truncate", "insert", "overwrite", "zero_run", "repeat"]


def _mutate_bytes(data, blob, recipe, most=4):
    """Apply 1..``most`` byte mutations drawn from ``data`` to ``blob``."""
    blob = bytearray(blob)
    for _ in range(data.draw(st.integers(1, most))):
        kind = data.draw(st.sampled_from(_BYTE_OPS))
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        if kind == "flip" and blob:
            blob[at] ^= data.draw(st.integers(1, 255))
        elif kind == "truncate":
            del blob[at:]
        elif kind == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=32))
        elif kind == "overwrite":
            chunk = data.draw(st.binary(min_size=1, max_size=32))
            blob[at:at + len(chunk)] = chunk
        elif kind == "zero_run":
            length = data.draw(st.integers(1, 4096))
            blob[at:at + length] = bytes(len(blob[at:at + length]))
        else:
            length = data.draw(st.integers(1, 256))
            blob[at:at] = blob[at:at + length] * data.draw(st.integers(1, 64))
        recipe.append((kind, at))
    return bytes(blob)


# -- mutations of archive members ---------------------------------------------------

_MEMBER_NAMES = ["config.json", "metadata.json", "model.weights.h5", "assets/x", "../x",
                 "/abs", "config.json/", "dir/", "C:\\x", "a" * 300, "variables.h5"]
_COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def _members(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return [(name, opened.read(name)) for name in opened.namelist()]


def _zip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in members:
            archive.writestr(name, payload)
    return buffer.getvalue()


def _mutate_members(data, members, recipe):
    members = list(members)
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["bytes", "swap", "drop", "duplicate", "rename",
                                          "add"]))
        index = data.draw(st.integers(0, len(members) - 1)) if members else None
        if kind == "bytes" and members:
            name, payload = members[index]
            members[index] = (name, _mutate_bytes(data, payload, recipe, most=3))
        elif kind == "swap" and members:
            other = data.draw(st.integers(0, len(members) - 1))
            (a, pa), (b, pb) = members[index], members[other]
            members[index], members[other] = (a, pb), (b, pa)
        elif kind == "drop" and members:
            del members[index]
        elif kind == "duplicate" and members:
            members.append(members[index])
        elif kind == "rename" and members:
            members[index] = (data.draw(st.sampled_from(_MEMBER_NAMES)), members[index][1])
        elif kind == "add":
            members.append((data.draw(st.sampled_from(_MEMBER_NAMES)),
                            data.draw(st.binary(max_size=64))))
        recipe.append((kind, index))
    return members


# -- mutations of config.json -------------------------------------------------------

_INTS = [0, -1, 1, 2, 3, 7, 4096, 8192, 65536, 2**20, 2**31 - 1, 2**31, 2**32, 2**53,
         2**63 - 1, 2**63, 2**64, 10**12, 10**30, -2**63]
_FLOATS = [0.5, -0.0, 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 1e-320]
_DTYPES = ["float64", "float16", "int8", "uint8", "bool", "int64", "complex128", "bfloat16",
           "string", "str", "U200000000", "S1000000000", "V1000000000", "object", "bogus", "",
           "mixed_float16", "float8_e4m3fn", "(1000000,)f8", "U0"]
_WORDS = _DTYPES + ["relu", "softmax", "same", "valid", "channels_first", "Dense", "LSTM",
                    "keras.layers", "keras", "__numpy__", "__lambda__", "__tensor__",
                    "__bytes__", "__slice__", "__ellipsis__", "function", "a" * 10_000,
                    "glorot_uniform", "orthogonal", "adam", "mse", "accuracy", "int32"]
_CLASS_NAMES = ["Dense", "Conv2D", "LSTM", "GRU", "Embedding", "BatchNormalization", "Reshape",
                "Lambda", "InputLayer", "Sequential", "Functional", "Model", "Dropout",
                "Concatenate", "TimeDistributed", "Bidirectional", "MultiHeadAttention",
                "EinsumDense", "RNN", "StackedRNNCells", "LSTMCell", "Normalization",
                "Adam", "GlorotUniform", "Orthogonal", "Constant", "DTypePolicy"]
#: Placeholders replaced in the JSON text: nesting json.dumps cannot write.
_DEEP, _WIDE = "@@deep:", "@@wide:"

_SCALARS = (st.sampled_from(_INTS) | st.integers(-3, 300) | st.sampled_from(_FLOATS)
            | st.sampled_from(_WORDS) | st.none() | st.booleans())
_SHAPES = st.lists(st.sampled_from(_INTS) | st.integers(-1, 9) | st.none(), max_size=5)
_LEAVES = st.integers(-5, 5) | st.text(max_size=4)
_ARRAYS = st.fixed_dictionaries({
    "class_name": st.sampled_from(["__numpy__", "__tensor__"]),
    "config": st.fixed_dictionaries({
        "value": _LEAVES | st.lists(_LEAVES, max_size=4)
                 | st.lists(st.lists(_LEAVES, max_size=3), max_size=3),
        "dtype": st.sampled_from(_DTYPES)})})
_OBJECTS = st.fixed_dictionaries({
    "module": st.sampled_from(["keras.layers", "keras", "keras.initializers", None]),
    "class_name": st.sampled_from(_CLASS_NAMES),
    "config": st.dictionaries(st.sampled_from(["units", "name", "filters", "kernel_size",
                                               "shape", "batch_shape", "target_shape",
                                               "input_dim", "output_dim", "dtype", "layers",
                                               "axis", "rate", "value", "num_heads"]),
                              _SCALARS | _SHAPES, max_size=4),
    "registered_name": st.none()})
_NESTING = (st.sampled_from([_DEEP, _WIDE])
            .flatmap(lambda kind: st.sampled_from([10, 500, 990, 5000, 100_000, 2_000_000])
                     .map(lambda n: f"{kind}{n}")))
_HOSTILE = _SCALARS | _SHAPES | _ARRAYS | _OBJECTS | _NESTING | st.dictionaries(
    st.text(max_size=4), _SCALARS, max_size=3)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _mutate_config(data, config, recipe):
    """1..4 edits at paths of ``config``: a number changed (sizes, shapes:
    the structure stays valid), a hostile value, a deletion, a copy of another
    subtree, a value wrapped in a list."""
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(config) if p]
        if not paths:
            break
        kind = data.draw(st.sampled_from(["number", "number", "value", "value", "delete",
                                          "copy", "wrap"]))
        numbers = [p for p in paths if type(_at(config, p)) is int]
        path = data.draw(st.sampled_from(numbers if kind == "number" and numbers else paths))
        parent = _at(config, path[:-1])
        if kind == "number":
            parent[path[-1]] = data.draw(st.sampled_from(_INTS) | st.integers(-2, 70))
            kind = f"number {parent[path[-1]]}"
        elif kind == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif kind == "copy":
            source = _at(config, data.draw(st.sampled_from(paths)))
            parent[path[-1]] = json.loads(json.dumps(source))
        elif kind == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        else:
            value = data.draw(_HOSTILE)
            parent[path[-1]] = value
            kind = f"value {str(value)[:60]!r}"
        recipe.append((kind, path))
    return config


def _at(node, path):
    for key in path:
        node = node[key]
    return node


def _config_text(config):
    """JSON text, with the nesting placeholders expanded."""
    text = json.dumps(config)
    for marker, build in ((_DEEP, lambda n: "[" * n + "]" * n),
                          (_WIDE, lambda n: "[" + ",".join(["{}"] * n) + "]")):
        while f'"{marker}' in text:
            start = text.index(f'"{marker}')
            end = text.index('"', start + 1)
            text = text[:start] + build(int(text[start + 1 + len(marker):end])) + text[end + 1:]
    return text.encode()


# -- mutations of weight files ------------------------------------------------------

_H5_DTYPES = ["float32", "float64", "float16", "int8", "int64", "uint8", "bool", "complex64",
              "S10", "vlen_str", "compound", "opaque"]
_H5_STORAGE = ["written", "unwritten", "chunked_gzip", "chunked_unwritten", "scalar", "empty"]


def _datasets(h5):
    found = []
    h5.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset)
                  else None)
    return found


def _h5_dtype(name):
    if name == "vlen_str":
        return h5py.string_dtype()
    if name == "compound":
        return np.dtype([("a", "f4"), ("b", "i4")])
    if name == "opaque":
        return np.dtype("V16")
    return np.dtype(name)


def _new_shape(data, shape):
    kind = data.draw(st.sampled_from(["one_dim", "random", "huge", "same"]))
    if kind == "one_dim" and shape:
        axis = data.draw(st.integers(0, len(shape) - 1))
        dims = list(shape)
        dims[axis] = data.draw(st.sampled_from([0, 1, 2, dims[axis] + 1, 4096, 2**20, 2**31,
                                                2**40]))
        return tuple(dims)
    if kind == "random":
        return tuple(data.draw(st.lists(st.integers(0, 6), max_size=4)))
    if kind == "huge":
        return data.draw(st.sampled_from([(20000, 20000), (21000, 21000), (2**20, 2**12),
                                          (2**33,), (2**16, 2**16, 2**16)]))
    return tuple(shape)


def _write_dataset(h5, path, shape, dtype, storage):
    """A dataset of ``shape`` and ``dtype``; data written only where small."""
    count = int(np.prod(shape, dtype=object)) if shape else 1
    small = count * max(dtype.itemsize, 1) <= 1 << 20
    if storage == "empty":
        h5.create_dataset(path, data=h5py.Empty(dtype))
    elif storage == "scalar":
        h5.create_dataset(path, shape=(), dtype=dtype)
    elif storage == "written" and small and dtype.kind in "biufc":
        h5.create_dataset(path, data=np.ones(shape, dtype))
    elif storage.startswith("chunked") and count > 0 and all(shape):
        dataset = h5.create_dataset(path, shape=shape, dtype=dtype, chunks=True,
                                    compression="gzip")
        if storage == "chunked_gzip" and dtype.kind in "biuf":
            dataset[(0,) * len(shape)] = 1
    else:
        h5.create_dataset(path, shape=shape, dtype=dtype)


def _mutate_weights(data, weights, recipe):
    """1..3 edits of datasets (new shape, dtype or storage; deleted; a group,
    a link or a second dataset in their place), then maybe flipped bytes."""
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "a") as h5:
        for _ in range(data.draw(st.integers(1, 3))):
            names = _datasets(h5)
            if not names:
                break
            path = data.draw(st.sampled_from(names))
            kind = data.draw(st.sampled_from(["replace", "replace", "replace", "delete",
                                              "group", "soft_link", "external_link",
                                              "hard_link", "extra"]))
            shape = h5[path].shape or ()
            if kind == "extra":
                path = path.rsplit("/", 1)[0] + "/" + str(data.draw(st.integers(0, 99)))
            if path in h5:
                del h5[path]
            if kind in ("replace", "extra"):
                new_shape = _new_shape(data, shape)
                dtype = _h5_dtype(data.draw(st.sampled_from(_H5_DTYPES)))
                storage = data.draw(st.sampled_from(_H5_STORAGE))
                try:
                    _write_dataset(h5, path, new_shape, dtype, storage)
                except (ValueError, TypeError, OverflowError, OSError):
                    kind += " (h5py refused to write it)"
                kind = f"{kind} {new_shape} {dtype} {storage}"
            elif kind == "group":
                h5.create_group(path)
            elif kind == "soft_link":
                h5[path] = h5py.SoftLink("/" + data.draw(st.sampled_from(names)))
            elif kind == "external_link":
                h5[path] = h5py.ExternalLink("/etc/passwd", "/x")
            elif kind == "hard_link":
                other = data.draw(st.sampled_from(names))
                if other in h5:
                    h5[path] = h5[other]
            recipe.append((kind, path))
    mutated = buffer.getvalue()
    if data.draw(st.booleans()):
        mutated = _mutate_bytes(data, mutated, recipe, most=2)
    return mutated


# -- the targets --------------------------------------------------------------------


def test_fuzz_seeds_load_cleanly(worker, tally, seeds):
    """The unmutated seeds load in the worker (the harness itself works)."""
    for seed, (_, archive_path, _) in seeds.items():
        reply = worker.load(archive_path)
        assert reply["outcome"] == "loaded", reply



@_settings("bytes")
@given(data=st.data())
def test_fuzz_archive_bytes(worker, tally, seeds, case_folder, data):
    """Flipped, cut, inserted, zeroed and repeated bytes of a whole archive."""
    seed = data.draw(st.sampled_from(sorted(seeds)))
    recipe = [("seed", seed)]
    path = case_folder / "case.keras"
    path.write_bytes(_mutate_bytes(data, seeds[seed][0], recipe))
    _check(worker, tally, "bytes", recipe, path)


@_settings("members")
@given(data=st.data())
def test_fuzz_archive_members(worker, tally, seeds, case_folder, data):
    """Members with mutated contents (CRCs valid), swapped, dropped,
    duplicated, renamed or added; stored or compressed."""
    seed = data.draw(st.sampled_from(sorted(seeds)))
    recipe = [("seed", seed)]
    members = _mutate_members(data, _members(seeds[seed][0]), recipe)
    compression = data.draw(st.sampled_from(_COMPRESSIONS))
    recipe.append(("compression", compression))
    path = case_folder / "case.keras"
    path.write_bytes(_zip(members, compression))
    _check(worker, tally, "members", recipe, path)


@_settings("config")
@given(data=st.data())
def test_fuzz_config(worker, tally, seeds, case_folder, data):
    """config.json with hostile values (huge or negative sizes, odd dtypes,
    serialized arrays, unknown classes), deletions, copies, deep or wide JSON."""
    seed = data.draw(st.sampled_from(sorted(seeds)))
    recipe = [("seed", seed)]
    members = dict(_members(seeds[seed][0]))
    config = _mutate_config(data, json.loads(members["config.json"]), recipe)
    members["config.json"] = _config_text(config)
    compression = data.draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    path = case_folder / "case.keras"
    path.write_bytes(_zip(list(members.items()), compression))
    _check(worker, tally, "config", recipe, path)


@_settings("weights")
@given(data=st.data())
def test_fuzz_weights(worker, tally, seeds, case_folder, data):
    """Weight files with datasets of other shapes, dtypes and storage (declared
    but not stored, compressed), deleted, replaced by groups or links, and
    flipped bytes; loaded from an archive or into a model by load_weights."""
    seed = data.draw(st.sampled_from(sorted(seeds)))
    recipe = [("seed", seed)]
    archive, archive_path, weights = seeds[seed]
    how = data.draw(st.sampled_from(["load_model", "load_weights", "load_weights_skipping"]))
    recipe.append(("how", how))
    if how == "load_model":
        members = dict(_members(archive))
        members["model.weights.h5"] = _mutate_weights(data, members["model.weights.h5"],
                                                      recipe)
        path = case_folder / "case.keras"
        path.write_bytes(_zip(list(members.items())))
        _check(worker, tally, "weights", recipe, path)
    else:
        path = case_folder / "case.weights.h5"
        path.write_bytes(_mutate_weights(data, weights, recipe))
        _check(worker, tally, "weights", recipe, path, into=archive_path,
               skip_mismatch=how == "load_weights_skipping")


def test_fuzz_found_nothing(tally):
    """With BRICKWORK_FUZZ_KEEP_GOING, the findings of the whole run."""
    assert not tally.findings, json.dumps(tally.findings[:5], indent=1, default=repr)[:20000]
