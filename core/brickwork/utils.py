"""``brickwork.utils``: small public helpers under Keras 3's ``keras.utils`` names.

The data-set utilities (``PyDataset``/``Sequence``,
``image_dataset_from_directory``, ``text_dataset_from_directory``,
``audio_dataset_from_directory``, ``timeseries_dataset_from_array``,
``split_dataset``) live in ``brickwork.dataset_utils`` and the data adapters.
Not here: ``FeatureSpace`` needs Keras's preprocessing layers; ``bounding_boxes`` and ``legacy`` are
TensorFlow-era submodules.
"""
from brickwork.model_visualization import model_to_dot, plot_model  # noqa: F401
from brickwork.random import set_random_seed  # noqa: F401
from brickwork.naming import to_snake_case  # noqa: F401
from brickwork.trainers.data import (pack_x_y_sample_weight,  # noqa: F401
                                     unpack_x_y_sample_weight)
from brickwork.trainers.data_adapters.py_dataset_adapter import PyDataset, Sequence  # noqa: F401
from brickwork.dataset_utils import (audio_dataset_from_directory,  # noqa: F401
                                     image_dataset_from_directory, split_dataset,
                                     text_dataset_from_directory, timeseries_dataset_from_array)


import copy as _copy
import json as _json

from brickwork import tree as _tree
from brickwork.backend import clear_session, is_keras_tensor, standardize_dtype  # noqa: F401
from brickwork.file_utils import get_file  # noqa: F401
from brickwork.image_utils import array_to_img, img_to_array, load_img, save_img  # noqa: F401
from brickwork.progbar import Progbar as _Progbar
from brickwork.saving import (CustomObjectScope, custom_object_scope,  # noqa: F401
                              deserialize_keras_object, get_custom_objects, get_registered_name,
                              get_registered_object, register_keras_serializable,
                              serialize_keras_object)


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels (``keras.utils.to_categorical``).

    A trailing axis of size 1 is dropped first (``(n, 1)`` labels give
    ``(n, num_classes)``). As in Keras, the result is a float64 NumPy array.

    Args:
        x: Integer labels from 0 to ``num_classes - 1``, any shape.
        num_classes: Number of classes; None: the largest label plus one.
    """
    import numpy as np
    x = np.array(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms are left
    alone). NumPy arrays give NumPy arrays; tensors go through
    ``brickwork.ops`` (``x / max(norm, epsilon)``)."""
    import numpy as np
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, axis)
    from brickwork import ops
    from brickwork.backend import epsilon
    x = ops.convert_to_tensor(x)
    if order == 2:
        norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    elif order == 1:
        norm = ops.sum(ops.abs(x), axis=axis, keepdims=True)
    else:
        data = np.linalg.norm(ops.convert_to_numpy(x), order, axis, keepdims=True)
        norm = ops.convert_to_tensor(data.astype(ops.convert_to_numpy(x).dtype))
    return ops.divide(x, ops.maximum(norm, epsilon()))


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (and cut) sequences to one length: a ``(len(sequences), maxlen,
    ...)`` NumPy array (``keras.utils.pad_sequences``).

    Args:
        sequences: A list of sequences (lists or arrays; items may be
            arrays of one shape).
        maxlen: The length; None: the longest sequence's.
        dtype: The output's dtype (``object`` for strings of any length).
        padding: ``"pre"`` or ``"post"``: pad before or after each sequence.
        truncating: ``"pre"`` or ``"post"``: drop the start or the end of
            sequences longer than ``maxlen``.
        value: The padding value.
    """
    import numpy as np
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape, found = [], (), False
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as e:
            raise ValueError(f"`sequences` must be a list of iterables. "
                             f"Found non-iterable: {x}") from e
        if not found and len(x):
            sample_shape, found = np.asarray(x).shape[1:], True
    if maxlen is None:
        maxlen = int(np.max(lengths)) if lengths else 0
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                         f"{type(value)}\nYou should set `dtype=object` for variable length "
                         f"strings.")
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for index, s in enumerate(sequences):
        if not len(s):
            continue
        if truncating == "pre":
            kept = s[-maxlen:]
        elif truncating == "post":
            kept = s[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {index} "
                             f"is different from expected shape {sample_shape}")
        if padding == "post":
            out[index, :len(kept)] = kept
        elif padding == "pre":
            out[index, -len(kept):] = kept
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return out


class Progbar(_Progbar):
    """A progress bar (``keras.utils.Progbar``).

    Args:
        target: Total number of steps expected, None if unknown.
        width: Progress bar width on screen.
        verbose: 0 (silent), 1 (a bar) or 2 (one line when done).
        interval: Minimum seconds between two redraws.
        stateful_metrics: Names of values shown as given; all others are
            averaged over the steps so far.
        stateless_metrics: Names of values averaged over the steps so far;
            all others are shown as given. Give at most one of the two; with
            neither, every value is averaged (as in Keras).
        unit_name: What a step is called (``"step"``, ``"byte"``, ...).

    ``update(current, values)`` takes ``values`` as a list of
    ``(name, value)`` pairs or a dict; ``add(n, values)`` advances by ``n``.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Only one of `stateful_metrics` or `stateless_metrics` can be "
                             "provided. `stateful_metrics` is used to make metrics stateless "
                             "by default (with an exclusion list), while `stateless_metrics` "
                             "is used to make metrics stateful by default (with an inclusion "
                             "list).")
        super().__init__(target, width=width, verbose=verbose, interval=interval,
                         stateful_metrics=stateful_metrics, unit_name=unit_name)
        self.stateful_metrics = None if stateless_metrics is not None else set(
            stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._sums = {}
        self._seen_so_far = 0

    def update(self, current, values=None, finalize=None):
        items = values.items() if isinstance(values, dict) else (values or [])
        shown = {}
        for name, value in items:
            if self.stateful_metrics is not None:
                averaged = name not in self.stateful_metrics
            else:
                averaged = name in self.stateless_metrics
            if averaged:
                weight = max(current - self._seen_so_far, 1)
                total, count = self._sums.get(name, (0.0, 0))
                total, count = total + float(value) * weight, count + weight
                self._sums[name] = (total, count)
                shown[name] = total / count
            else:
                shown[name] = value
        self._seen_so_far = current
        super().update(current, shown, finalize)

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)


def enable_interactive_logging():
    """Progress bars and callbacks' messages go to stdout (the default)."""
    from brickwork.config import enable_interactive_logging as enable
    enable()


def disable_interactive_logging():
    """Progress output goes to the ``"brickwork"`` logger instead of stdout."""
    from brickwork.config import disable_interactive_logging as disable
    disable()


def is_interactive_logging_enabled():
    """Whether progress output goes to stdout (True) or to ``logging``."""
    from brickwork.config import is_interactive_logging_enabled as enabled
    return enabled()


def get_source_inputs(tensor):
    """The ``Input`` tensors a symbolic tensor was computed from (a list;
    a tensor with no history is returned as is)."""
    history = getattr(tensor, "_keras_history", None)
    if not hasattr(tensor, "_keras_history"):
        return tensor
    if history is None or history[0] is None or not history[0]._inbound_nodes:
        return [tensor]
    layer, node_index, _ = history
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return _tree.flatten(node.output_tensors)
    sources = []
    for parent in node.input_tensors:
        for source in get_source_inputs(parent):
            if all(source is not seen for seen in sources):
                sources.append(source)
    return sources


class Config:
    """A dict whose keys are also attributes, that can be frozen
    (``keras.utils.Config``).

    >>> config = Config(learning_rate=0.1)
    >>> config.momentum = 0.9
    >>> config["momentum"], config.learning_rate
    (0.9, 0.1)
    >>> config.freeze()  # now setting or deleting raises ValueError
    """

    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self):
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self):
        """Refuse changes from now on."""
        self._frozen = True

    def unfreeze(self):
        """Accept changes again."""
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return _copy.copy(self._config)

    def to_json(self):
        return _json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__getattribute__(self, name)
        if name in self._config:
            return self._config[name]
        import difflib
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, self._config.keys(), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __repr__(self):
        return f"<Config {self._config}>"

    def __iter__(self):
        return iter(sorted(self._config.keys()))

    def __len__(self):
        return len(self._config)

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config
