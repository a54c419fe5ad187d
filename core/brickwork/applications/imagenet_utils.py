"""What every application family shares: input checks, weights, ImageNet helpers.

``preprocess_input`` and ``decode_predictions`` here are Keras's
``keras.applications.imagenet_utils`` functions; the family modules bind
``preprocess_input`` to their own mode. Nothing is ever downloaded: pretrained
weights and the ImageNet class index are read from a path the user gives or
from Keras's cache folder (``~/.keras/models``), where Keras itself keeps them.
"""
import json
import os
import warnings

import numpy as np

from brickwork import activations, backend, ops
from brickwork.file_utils import brickwork_home

CLASS_INDEX = None
CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/"
                   "data/imagenet_class_index.json")
CLASS_INDEX_FILE = "imagenet_class_index.json"

_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def models_cache_dir():
    """The folder Keras keeps downloaded weights in: ``<KERAS_HOME or ~/.keras>/models``."""
    return os.path.join(brickwork_home(), "models")


# -- preprocess_input / decode_predictions ---------------------------------------------

def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a tensor or NumPy array encoding a batch of images.

    Args:
        x: A floating point array or tensor, 3D or 4D, with 3 color channels
            and values in `[0, 255]`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `brickwork.backend.image_data_format()`.
        mode: `"caffe"` (RGB to BGR, then subtract the ImageNet mean per
            channel, no scaling), `"tf"` (scale to `[-1, 1]`) or `"torch"`
            (scale to `[0, 1]`, then normalize each channel with the ImageNet
            mean and standard deviation).

    Returns:
        The preprocessed array (a new NumPy array for NumPy input, a tensor
        otherwise); the input is left unchanged.

    Example:

    >>> x = np.full((1, 2, 2, 3), 255.0, "float32")
    >>> preprocess_input(x, mode="tf")[0, 0, 0]
    array([1., 1., 1.], dtype=float32)
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError("preprocess_input: `mode` must be one of 'caffe', 'tf' or 'torch'. "
                         f"Received: mode={mode!r}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("preprocess_input: `data_format` must be 'channels_first' or "
                         f"'channels_last'. Received: data_format={data_format!r}")
    if isinstance(x, np.ndarray):
        return _preprocess_array(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_shape(ndim, data_format):
    """Broadcast shape of a per-channel constant for a ``ndim``-D image batch."""
    if data_format == "channels_first":
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def _preprocess_array(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(backend.floatx())
    if mode == "tf":
        return x / x.dtype.type(127.5) - x.dtype.type(1.0)
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x = x / x.dtype.type(255.0)
        mean = np.asarray(_TORCH_MEAN, x.dtype).reshape(shape)
        return (x - mean) / np.asarray(_TORCH_STD, x.dtype).reshape(shape)
    channel_axis = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else -1
    x = np.flip(x, axis=channel_axis)  # RGB -> BGR
    return x - np.asarray(_CAFFE_MEAN_BGR, x.dtype).reshape(shape)


def _preprocess_tensor(x, data_format, mode):
    x = ops.convert_to_tensor(x)
    dtype = x.dtype if "float" in str(x.dtype) else backend.floatx()
    x = ops.cast(x, dtype)
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    shape = _channel_shape(ndim, data_format)
    if mode == "torch":
        mean = ops.reshape(ops.convert_to_tensor(np.asarray(_TORCH_MEAN), dtype=dtype), shape)
        std = ops.reshape(ops.convert_to_tensor(np.asarray(_TORCH_STD), dtype=dtype), shape)
        return (x / 255.0 - mean) / std
    channel_axis = (0 if ndim == 3 else 1) if data_format == "channels_first" else -1
    x = ops.flip(x, axis=channel_axis)  # RGB -> BGR
    mean = ops.reshape(ops.convert_to_tensor(np.asarray(_CAFFE_MEAN_BGR), dtype=dtype), shape)
    return x - mean


def _load_class_index(path=None):
    """The class index: from ``path``, else from Keras's cache folder."""
    cached = os.path.join(models_cache_dir(), CLASS_INDEX_FILE)
    where = os.fspath(path) if path is not None else cached
    if not os.path.isfile(where):
        raise FileNotFoundError(
            f"decode_predictions needs the ImageNet class index, and found none at {where!r}. "
            f"brickwork downloads nothing: fetch it yourself from {CLASS_INDEX_URL} and save "
            f"it as {cached!r} (where Keras keeps it), or pass its path as "
            "`class_index_path=`.")
    with open(where, encoding="utf-8") as f:
        return json.load(f)


def decode_predictions(preds, top=5, class_index_path=None):
    """Decodes the prediction of an ImageNet model.

    Args:
        preds: A batch of predictions, shape `(samples, 1000)` (array or tensor).
        top: How many top-guesses to return per sample.
        class_index_path: Optional path to `imagenet_class_index.json`. By
            default the file is read from Keras's cache,
            `~/.keras/models/imagenet_class_index.json` (nothing is downloaded).

    Returns:
        One list per sample of `(class_name, class_description, score)` tuples,
        best first.

    Raises:
        ValueError: if `preds` does not have shape `(samples, 1000)`.
        FileNotFoundError: if the class index file is not there.
    """
    global CLASS_INDEX
    preds = np.asarray(ops.convert_to_numpy(preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("decode_predictions expects a batch of predictions, i.e. a 2D array "
                         f"of shape (samples, 1000). Received array with shape: {preds.shape}")
    if class_index_path is not None:
        index = _load_class_index(class_index_path)
    else:
        if CLASS_INDEX is None:
            CLASS_INDEX = _load_class_index()
        index = CLASS_INDEX
    results = []
    for row in preds:
        best = np.argsort(row)[-top:][::-1]
        results.append([tuple(index[str(i)]) + (row[i],) for i in best])
    return results


# -- shared by the constructors --------------------------------------------------------

def check_weights(weights, include_top, classes, model_label="this model"):
    """Validate the ``weights``/``classes`` pair every constructor takes."""
    if not (weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike))
                                             and os.path.exists(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000. Received classes={classes}")


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """Compute and validate a model's input shape (Keras's rules)."""
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {channels} input channels.", stacklevel=3)
        default_shape = ((channels, default_size, default_size) if channels_first
                         else (default_size, default_size, channels))
    else:
        default_shape = (3, default_size, default_size) if channels_first else \
            (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  "
                             f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape}")
        channels = input_shape[0] if channels_first else input_shape[-1]
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError("The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def image_input(input_tensor, input_shape):
    """The model's input: a new ``Input``, or the user's ``input_tensor``."""
    from brickwork import layers

    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    return layers.Input(tensor=input_tensor, shape=input_shape)


def model_inputs(input_tensor, img_input):
    """What the functional model takes: the sources of ``input_tensor`` when given."""
    if input_tensor is None:
        return img_input
    from brickwork.utils import get_source_inputs

    return get_source_inputs(input_tensor)


def correct_pad(inputs, kernel_size):
    """Zero-padding (``((top, bottom), (left, right))``) for a strided 2D convolution."""
    axis = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis:axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """With pretrained weights the classifier may only be softmax or linear."""
    if weights is None:
        return
    act = activations.get(classifier_activation)
    if act not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         f"with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def locate_weights(weights, file_name=None, origin=None, model_name="the model"):
    """The weights file to load, found before anything is built.

    ``None`` gives ``None``; a path is returned as is; ``'imagenet'`` is
    ``file_name`` in ``~/.keras/models`` (where Keras stores what it
    downloaded). brickwork downloads nothing, so a missing file is an error
    that names the file and where to get it.
    """
    if weights is None:
        return None
    if weights != "imagenet":
        return os.fspath(weights)
    if file_name is None:
        raise ValueError(f"{model_name}: no ImageNet weights are published for this "
                         "configuration. Pass `weights=None` or the path to a weights file.")
    path = os.path.join(models_cache_dir(), file_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{model_name}: weights='imagenet' needs the file {file_name!r}, and brickwork "
            f"downloads nothing. Download it from {origin} and pass its path as "
            f"`weights='/path/to/{file_name}'`, or save it as {path!r} (where Keras keeps "
            "it). Or use `weights=None` for random initialization.")
    return path


def load_weights(model, weights_file):
    """Load ``weights_file`` (from :func:`locate_weights`) into ``model``, if any."""
    if weights_file is not None:
        model.load_weights(weights_file)
    return model


WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"


def family_preprocess(mode, family):
    """The ``preprocess_input(x, data_format=None)`` of one family: a fixed ``mode``."""
    if mode is None:
        def preprocess_input(x, data_format=None):
            return x
        preprocess_input.__doc__ = (
            f"A placeholder kept for API compatibility: {family} models preprocess inside "
            "themselves (their inputs are pixels in `[0, 255]`), so this returns `x` unchanged.")
        return preprocess_input

    def preprocess_input(x, data_format=None):
        return globals()["preprocess_input"](x, data_format=data_format, mode=mode)
    what = {"caffe": "RGB to BGR, then the ImageNet mean is subtracted per channel",
            "tf": "pixels are scaled from `[0, 255]` to `[-1, 1]`",
            "torch": "pixels are scaled to `[0, 1]`, then normalized per channel with the "
                     "ImageNet mean and standard deviation"}[mode]
    preprocess_input.__doc__ = (
        f"Preprocesses a batch of images for {family} models: {what}.\n\n"
        "    Args:\n"
        "        x: A floating point NumPy array or tensor, 3D or 4D, 3 color channels,\n"
        "            values in `[0, 255]`.\n"
        "        data_format: Optional `\"channels_last\"` or `\"channels_first\"`.\n\n"
        "    Returns:\n"
        "        The preprocessed array or tensor (float32).\n")
    return preprocess_input


def common_args_doc(min_size, default_size=224):
    """The ``Args:`` block shared by every constructor's docstring."""
    return f"""Args:
        include_top: Whether to include the classifier on top of the network.
        weights: `None` (random initialization), `"imagenet"` (the file Keras
            publishes, read from `~/.keras/models`; brickwork downloads
            nothing and says where to get it) or the path to a weights file.
        input_tensor: Optional Keras tensor (output of `layers.Input()`) to use
            as image input for the model.
        input_shape: Optional shape tuple, e.g. `({default_size}, {default_size}, 3)`;
            at least {min_size} pixels high and wide.
        pooling: With `include_top=False`: `None` (4D output of the last
            convolutional block), `"avg"` or `"max"` (global pooling, 2D output).
        classes: Number of classes to classify images into (with `include_top`
            and no ImageNet weights).
        classifier_activation: The activation of the top layer; `None` returns logits.
        name: The name of the model (string)."""
