"""One ``time_<spec>`` benchmark per kernel spec, on every backend.

``KERNEL_INPUTS`` maps each spec to a function making its arguments from a
random generator. Importing this module fails when a kernel spec has no
entry, so a new kernel cannot go unbenchmarked.
"""
from brickwork.plugin_manager import kernel_spec_names

from .common import BACKENDS, array, host_rng, synchronize, use

BATCH, FEATURES, UNITS, CLASSES = 256, 512, 512, 1000
PARAMETERS = 1_000_000


def _dense(rng):
    return array(rng, (BATCH, FEATURES)), array(rng, (FEATURES, UNITS)), array(rng, (UNITS,))


def _dense_forward(k, rng):
    x, kernel, bias = _dense(rng)
    return x, kernel, bias, "relu"


def _dense_backward(k, rng):
    x, kernel, bias = _dense(rng)
    y = k.dense_forward(x, kernel, bias, "relu")
    return array(rng, y.shape), x, kernel, y, "relu", True


def _activation_forward(k, rng):
    return array(rng, (BATCH, 4096)), "tanh"


def _activation_backward(k, rng):
    x = array(rng, (BATCH, 4096))
    return array(rng, x.shape), x, k.activation_forward(x, "tanh"), "tanh"


def _softmax_like_forward(k, rng):
    return array(rng, (BATCH, CLASSES)), -1


def _softmax_backward(k, rng):
    x = array(rng, (BATCH, CLASSES))
    return array(rng, x.shape), k.softmax_forward(x, -1), -1


def _log_softmax_backward(k, rng):
    x = array(rng, (BATCH, CLASSES))
    return array(rng, x.shape), k.log_softmax_forward(x, -1), -1


def _sparse_labels(rng):
    return array(rng, (BATCH,), dtype="int64", low=0, high=CLASSES)


def _softmax_crossentropy_forward(k, rng):
    return array(rng, (BATCH, CLASSES)), _sparse_labels(rng), True


def _softmax_crossentropy_backward(k, rng):
    labels = _sparse_labels(rng)
    _, probs = k.softmax_crossentropy_forward(array(rng, (BATCH, CLASSES)), labels, True)
    return array(rng, (BATCH,)), probs, labels, True


def _sigmoid_crossentropy_forward(k, rng):
    return array(rng, (BATCH, CLASSES)), array(rng, (BATCH, CLASSES), low=0, high=2)


def _sigmoid_crossentropy_backward(k, rng):
    logits, target = _sigmoid_crossentropy_forward(k, rng)
    return array(rng, logits.shape), logits, target


def _dropout_forward(k, rng):
    x = array(rng, (BATCH, 4096))
    return x, 0.5, tuple(x.shape), k.random_generator(0)


def _dropout_backward(k, rng):
    x = array(rng, (BATCH, 4096))
    _, mask = k.dropout_forward(x, 0.5, tuple(x.shape), k.random_generator(0))
    return array(rng, x.shape), mask


def _state(rng):
    return array(rng, (PARAMETERS,))


def _sgd_update(k, rng):
    return _state(rng), _state(rng), _state(rng), 0.01, 0.9, True


def _adam_update(k, rng):
    m, v = _state(rng), abs(_state(rng))
    return _state(rng), _state(rng), m, v, None, 1e-3, 0.9, 0.999, 1e-7, 10


def _rmsprop_update(k, rng):
    return _state(rng), _state(rng), abs(_state(rng)), _state(rng), None, 1e-3, 0.9, 0.9, 1e-7


KERNEL_INPUTS = {
    "random_generator": lambda k, rng: (0,),
    "dense_forward": _dense_forward,
    "dense_backward": _dense_backward,
    "activation_forward": _activation_forward,
    "activation_backward": _activation_backward,
    "softmax_forward": _softmax_like_forward,
    "softmax_backward": _softmax_backward,
    "log_softmax_forward": _softmax_like_forward,
    "log_softmax_backward": _log_softmax_backward,
    "softmax_crossentropy_forward": _softmax_crossentropy_forward,
    "softmax_crossentropy_backward": _softmax_crossentropy_backward,
    "sigmoid_crossentropy_forward": _sigmoid_crossentropy_forward,
    "sigmoid_crossentropy_backward": _sigmoid_crossentropy_backward,
    "dropout_forward": _dropout_forward,
    "dropout_backward": _dropout_backward,
    "sgd_update": _sgd_update,
    "adam_update": _adam_update,
    "rmsprop_update": _rmsprop_update,
}

#: Kernels whose peak memory is worth tracking (large intermediates).
PEAKMEM_KERNELS = ("dense_forward", "dense_backward", "softmax_crossentropy_forward")

_missing = sorted(set(kernel_spec_names()) - set(KERNEL_INPUTS))
if _missing:
    raise ImportError(f"kernel specs without a benchmark in benchmarks/asv/kernels.py: {_missing}")


class Kernels:
    """``time_<spec>`` for every kernel spec; parametrized by backend."""

    params = [BACKENDS]
    param_names = ["backend"]

    def setup(self, backend_name):
        current = use(backend_name)
        self.kernels = current.kernels
        rng = host_rng()
        self.arguments = {name: make(self.kernels, rng) for name, make in KERNEL_INPUTS.items()}
        synchronize()


def _timer(spec_name):
    def time_kernel(self, backend_name):
        getattr(self.kernels, spec_name)(*self.arguments[spec_name])
        synchronize()
    time_kernel.__name__ = f"time_{spec_name}"
    return time_kernel


def _peakmem(spec_name):
    def peakmem_kernel(self, backend_name):
        getattr(self.kernels, spec_name)(*self.arguments[spec_name])
    peakmem_kernel.__name__ = f"peakmem_{spec_name}"
    return peakmem_kernel


for _name in KERNEL_INPUTS:
    setattr(Kernels, f"time_{_name}", _timer(_name))
for _name in PEAKMEM_KERNELS:
    setattr(Kernels, f"peakmem_{_name}", _peakmem(_name))
