"""One ``time_<spec>`` benchmark per kernel spec, on every backend.

``KERNEL_INPUTS`` maps each spec to a function making its arguments from a
random generator. Importing this module fails when a kernel spec has no
entry, so a new kernel cannot go unbenchmarked.
"""
from brickwork.plugin_manager import kernel_spec_names

from .common import BACKENDS, array, host_rng, size, synchronize, use

BATCH, FEATURES, UNITS, CLASSES = size(256, 4), size(512, 8), size(512, 8), size(1000, 10)
PARAMETERS = size(1_000_000, 100)
WIDE = size(4096, 16)


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
    return array(rng, (BATCH, WIDE)), "tanh"


def _activation_backward(k, rng):
    x = array(rng, (BATCH, WIDE))
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
    x = array(rng, (BATCH, WIDE))
    return x, 0.5, tuple(x.shape), k.random_generator(0)


def _dropout_backward(k, rng):
    x = array(rng, (BATCH, WIDE))
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


# -- convolution and pooling (NHWC; the seed CNN's second conv and its pool) --

N, HW = size(32, 2), size(26, 6)
CONV_X, CONV_K = (N, HW, HW, 32), (3, 3, 32, 64)
VALID = ((0, 0), (0, 0))


def _conv_forward(k, rng):
    return array(rng, CONV_X), array(rng, CONV_K), array(rng, (64,)), (1, 1), VALID, (1, 1), 1, "relu"


def _conv_backward(k, rng):
    x, kernel, bias, *rest = _conv_forward(k, rng)
    y = k.conv_forward(x, kernel, bias, *rest)
    return array(rng, y.shape), x, kernel, y, (1, 1), VALID, (1, 1), 1, "relu", True


def _conv_transpose_forward(k, rng):
    return (array(rng, (N, size(12, 4), size(12, 4), 64)), array(rng, (3, 3, 32, 64)), array(rng, (32,)), (2, 2),
            ((2, 2), (2, 2)), (1, 1), "linear")


def _conv_transpose_backward(k, rng):
    x, kernel, bias, strides, padding, dilation, activation = _conv_transpose_forward(k, rng)
    y = k.conv_transpose_forward(x, kernel, bias, strides, padding, dilation, activation)
    return array(rng, y.shape), x, kernel, y, strides, padding, dilation, activation, True


def _depthwise_conv_forward(k, rng):
    return (array(rng, (N, HW, HW, 64)), array(rng, (3, 3, 64, 1)), array(rng, (64,)), (1, 1),
            ((1, 1), (1, 1)), (1, 1), "relu")


def _depthwise_conv_backward(k, rng):
    x, kernel, bias, strides, padding, dilation, activation = _depthwise_conv_forward(k, rng)
    y = k.depthwise_conv_forward(x, kernel, bias, strides, padding, dilation, activation)
    return array(rng, y.shape), x, kernel, y, strides, padding, dilation, activation, True


def _pool_forward(k, rng):
    return array(rng, (size(128, 2), size(24, 4), size(24, 4), 32)), (2, 2), (2, 2), VALID


def _max_pool_backward(k, rng):
    x, pool, strides, padding = _pool_forward(k, rng)
    y = k.max_pool_forward(x, pool, strides, padding)
    return array(rng, y.shape), x, y, pool, strides, padding


def _avg_pool_backward(k, rng):
    x, pool, strides, padding = _pool_forward(k, rng)
    return array(rng, k.avg_pool_forward(x, pool, strides, padding).shape), x, pool, strides, padding


# -- normalization ----------------------------------------------------------

NORM_X = (size(64, 2), size(32, 4), size(32, 4), 64)


def _batch_norm_train_forward(k, rng):
    return array(rng, NORM_X), array(rng, (64,)), array(rng, (64,)), None, -1, 1e-3


def _batch_norm_train_backward(k, rng):
    x, gamma, beta, weights, axis, epsilon = _batch_norm_train_forward(k, rng)
    _, mean, variance = k.batch_norm_train_forward(x, gamma, beta, weights, axis, epsilon)
    return array(rng, NORM_X), x, gamma, weights, mean, variance, axis, epsilon


def _batch_norm_inference_forward(k, rng):
    return (array(rng, NORM_X), array(rng, (64,)), abs(array(rng, (64,))), array(rng, (64,)),
            array(rng, (64,)), -1, 1e-3)


def _batch_norm_inference_backward(k, rng):
    x, mean, variance, gamma, _, axis, epsilon = _batch_norm_inference_forward(k, rng)
    return array(rng, NORM_X), x, mean, variance, gamma, axis, epsilon


LN_X, LN_PARAM = (size(64, 2), size(128, 4), 512), (1, 1, 512)


def _layer_norm_forward(k, rng):
    return array(rng, LN_X), array(rng, LN_PARAM), array(rng, LN_PARAM), (2,), 1e-3, False


def _layer_norm_backward(k, rng):
    x, gamma, beta, axes, epsilon, rms = _layer_norm_forward(k, rng)
    _, mean, inv = k.layer_norm_forward(x, gamma, beta, axes, epsilon, rms)
    return array(rng, LN_X), x, gamma, mean, inv, axes, LN_PARAM, rms


def _masked_softmax_forward(k, rng):
    seq = size(64, 8)
    x = array(rng, (N, 8, seq, seq))
    mask = array(rng, (N, 1, seq, seq), dtype="bool", low=0, high=2)
    return x, mask, -1


# -- recurrent (the workload: batch 64, 100 steps, 128 units) --------

SEQ_B, SEQ_T, SEQ_IN, UNITS_RNN = size(64, 2), size(100, 5), size(128, 8), size(128, 8)


def _recurrent_weights(rng, gates, bias_shape=None):
    return (array(rng, (SEQ_B, SEQ_T, SEQ_IN)), array(rng, (SEQ_IN, gates * UNITS_RNN)) * 0.1,
            array(rng, (UNITS_RNN, gates * UNITS_RNN)) * 0.1,
            array(rng, bias_shape or (gates * UNITS_RNN,)) * 0.1, array(rng, (SEQ_B, UNITS_RNN)))


def _simple_rnn_forward(k, rng):
    x, kernel, recurrent, bias, h0 = _recurrent_weights(rng, 1)
    return x, kernel, recurrent, bias, h0, None, None, None, "tanh", False


def _simple_rnn_backward(k, rng):
    h_seq, workspace = k.simple_rnn_forward(*_simple_rnn_forward(k, rng))
    return array(rng, h_seq.shape), None, workspace, True


def _lstm_forward(k, rng):
    x, kernel, recurrent, bias, h0 = _recurrent_weights(rng, 4)
    return (x, kernel, recurrent, bias, h0, array(rng, (SEQ_B, UNITS_RNN)), None, None, None,
            "tanh", "sigmoid", False)


def _lstm_backward(k, rng):
    h_seq, _, workspace = k.lstm_forward(*_lstm_forward(k, rng))
    return None, array(rng, (SEQ_B, UNITS_RNN)), None, workspace, True


def _gru_forward(k, rng):
    x, kernel, recurrent, bias, h0 = _recurrent_weights(rng, 3, (2, 3 * UNITS_RNN))
    return x, kernel, recurrent, bias, h0, None, None, None, "tanh", "sigmoid", True, False


def _gru_backward(k, rng):
    h_seq, workspace = k.gru_forward(*_gru_forward(k, rng))
    return None, array(rng, (SEQ_B, UNITS_RNN)), workspace, True


# -- the other optimizers -----------------------------------------------------


def _adagrad_update(k, rng):
    return _state(rng), _state(rng), abs(_state(rng)), 1e-3, 1e-7


def _adadelta_update(k, rng):
    return _state(rng), _state(rng), abs(_state(rng)), abs(_state(rng)), 1e-3, 0.95, 1e-7


def _adamax_update(k, rng):
    return _state(rng), _state(rng), _state(rng), abs(_state(rng)), 1e-3, 0.9, 0.999, 1e-7, 10


def _nadam_update(k, rng):
    return (_state(rng), _state(rng), _state(rng), abs(_state(rng)), 1e-3, 0.9, 0.999, 1e-7, 10,
            0.5)


def _lion_update(k, rng):
    return _state(rng), _state(rng), _state(rng), 1e-4, 0.9, 0.99


def _ftrl_update(k, rng):
    return (_state(rng), _state(rng), abs(_state(rng)) + 0.1, _state(rng), 1e-3, -0.5, 0.0, 0.0,
            0.0, 0.0)


VOCABULARY, TOKENS = size(10000, 50), (size(64, 4), size(100, 6))


def _take_rows_forward(k, rng):
    return array(rng, (VOCABULARY, UNITS)), array(rng, TOKENS, dtype="int32", low=0, high=VOCABULARY)


def _take_rows_backward(k, rng):
    table, indices = _take_rows_forward(k, rng)
    return array(rng, (*TOKENS, UNITS)), indices, VOCABULARY


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
    "conv_forward": _conv_forward,
    "conv_backward": _conv_backward,
    "conv_transpose_forward": _conv_transpose_forward,
    "conv_transpose_backward": _conv_transpose_backward,
    "depthwise_conv_forward": _depthwise_conv_forward,
    "depthwise_conv_backward": _depthwise_conv_backward,
    "max_pool_forward": _pool_forward,
    "max_pool_backward": _max_pool_backward,
    "avg_pool_forward": _pool_forward,
    "avg_pool_backward": _avg_pool_backward,
    "batch_norm_train_forward": _batch_norm_train_forward,
    "batch_norm_train_backward": _batch_norm_train_backward,
    "batch_norm_inference_forward": _batch_norm_inference_forward,
    "batch_norm_inference_backward": _batch_norm_inference_backward,
    "layer_norm_forward": _layer_norm_forward,
    "layer_norm_backward": _layer_norm_backward,
    "masked_softmax_forward": _masked_softmax_forward,
    "simple_rnn_forward": _simple_rnn_forward,
    "simple_rnn_backward": _simple_rnn_backward,
    "lstm_forward": _lstm_forward,
    "lstm_backward": _lstm_backward,
    "gru_forward": _gru_forward,
    "gru_backward": _gru_backward,
    "adagrad_update": _adagrad_update,
    "adadelta_update": _adadelta_update,
    "adamax_update": _adamax_update,
    "nadam_update": _nadam_update,
    "lion_update": _lion_update,
    "ftrl_update": _ftrl_update,
    "take_rows_forward": _take_rows_forward,
    "take_rows_backward": _take_rows_backward,
}

#: Kernels whose peak memory is worth tracking (large intermediates).
PEAKMEM_KERNELS = ("dense_forward", "dense_backward", "softmax_crossentropy_forward",
                   "conv_forward", "conv_backward", "lstm_forward", "lstm_backward")

_missing = sorted(set(kernel_spec_names()) - set(KERNEL_INPUTS))
if _missing:
    raise ImportError(f"kernel specs without a benchmark in benchmarks/suite/kernels.py: {_missing}")


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
