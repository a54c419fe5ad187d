"""Small public helpers, under the names Keras users know."""
from brickwork.model_visualization import model_to_dot, plot_model  # noqa: F401
from brickwork.random import set_random_seed  # noqa: F401
from brickwork.naming import to_snake_case  # noqa: F401
from brickwork.trainers.data import (pack_x_y_sample_weight,  # noqa: F401
                                     unpack_x_y_sample_weight)


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode integer class labels, as ``keras.utils.to_categorical``."""
    import numpy as np
    y = np.asarray(y, dtype="int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    out = np.zeros((y.size, num_classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out.reshape(*shape, num_classes)
