"""Converters for STFTSpectrogram and MelSpectrogram.

Both are written as a strided Conv over the (padded) signal with one
filter per frequency bin: STFTSpectrogram's own real/imaginary kernels,
and for MelSpectrogram the windowed DFT matrix (``w[n] cos(2 pi k n / N)``
and ``-w[n] sin(...)``), which is what ``ops.stft`` computes with an FFT.
A plain Conv runs in every ONNX runtime (the DFT and STFT operators are
not implemented everywhere), and the frame count must be known at export.
"""
from __future__ import annotations

import math

import numpy as np

from brickwork import layers as L
from brickwork.export.augmentation import as_float
from brickwork.export.convolution import _pads
from brickwork.export.graph import converter
from brickwork.ops.convolution import conv_output_length

_PI = math.pi


def atan2(g, y, x, hint):
    """``atan2(y, x)`` from Atan and the quadrant (ONNX has no Atan2)."""
    zero = g.constant(0.0, f"{hint}/zero")
    safe_x = g.op("Where", [g.op("Equal", [x, zero], hint), g.constant(1.0, f"{hint}/one"), x],
                  hint)
    base = g.op("Atan", [g.op("Div", [y, safe_x], hint)], hint)
    y_negative = g.op("Less", [y, zero], hint)
    shift = g.op("Where", [y_negative, g.constant(-_PI, f"{hint}/minus_pi"),
                           g.constant(_PI, f"{hint}/pi")], hint)
    left = g.op("Add", [base, shift], hint)
    result = g.op("Where", [g.op("Less", [x, zero], hint), left, base], hint)
    on_axis = g.op("Where", [y_negative, g.constant(-_PI / 2, f"{hint}/minus_half_pi"),
                             g.op("Where", [g.op("Greater", [y, zero], hint),
                                            g.constant(_PI / 2, f"{hint}/half_pi"), zero], hint)],
                   hint)
    return g.op("Where", [g.op("Equal", [x, zero], hint), on_axis, result], hint)


def _frames(g, signal, kernel, stride, pads, hint):
    """Conv of ``(n, 1, time)`` with ``(freqs, 1, length)`` filters."""
    length = kernel.shape[-1]
    return g.op("Conv", [signal, g.constant(kernel, f"{hint}/kernel")], hint,
                kernel_shape=[length], strides=[stride], **pads)


@converter(L.STFTSpectrogram)
def stft_spectrogram(call):
    from brickwork import backend
    layer, g, h = call.layer, call.graph, call.hint
    shape = call.input_shapes[0]
    if any(d is None for d in shape[1:]):
        call.refuse(f"its input shape {shape} has unknown dimensions besides the batch; the "
                    f"export needs the signal's length and channels")
    x = as_float(call, call.inputs[0])
    if layer.data_format == "channels_last":
        _, time, channels = shape
        x = g.op("Transpose", [x], h, perm=[0, 2, 1])
    else:
        _, channels, time = shape
    signal = g.reshape(x, [-1, 1, time], h)
    step = layer._frame_step
    pads = _pads(call, (time,), (layer.frame_length,), (step,), (1,), layer.padding)
    count = conv_output_length(time, layer.frame_length, step, 1, layer.padding)
    freqs = layer._fft_length // 2 + 1

    def frames(variable, name):
        # Keras (length, 1, freqs) -> ONNX (freqs, 1, length)
        kernel = np.transpose(np.asarray(variable.numpy(), np.float32), (2, 1, 0))
        return _frames(g, signal, kernel, step, pads, f"{h}/{name}")

    real = frames(layer.real_kernel, "real") if layer.mode != "imag" else None
    imag = frames(layer.imag_kernel, "imag") if layer.mode != "real" else None

    def arrange(value, bins):
        """``(batch * channels, bins, frames)`` in the layer's output layout."""
        value = g.reshape(value, [-1, channels, bins, count], h)
        if layer.data_format == "channels_last":
            if layer.expand_dims:
                return g.op("Transpose", [value], h, perm=[0, 3, 2, 1])
            value = g.reshape(value, [-1, channels * bins, count], h)
            return g.op("Transpose", [value], h, perm=[0, 2, 1])
        if layer.expand_dims:
            return g.op("Transpose", [value], h, perm=[0, 1, 3, 2])
        return g.reshape(value, [-1, channels * bins, count], h)

    if layer.mode == "real":
        return [arrange(real, freqs)]
    if layer.mode == "imag":
        return [arrange(imag, freqs)]
    if layer.mode == "angle":
        return [arrange(atan2(g, imag, real, h), freqs)]
    if layer.mode == "stft":
        return [arrange(g.op("Concat", [real, imag], h, axis=1), 2 * freqs)]
    power = g.op("Add", [g.op("Mul", [real, real], h), g.op("Mul", [imag, imag], h)], h)
    if layer.mode == "psd":
        # One-sided density: every bin but DC and Nyquist counts twice.
        factor = np.full((freqs, 1), 2.0, np.float32)
        factor[0] = factor[-1] = 1.0
        return [arrange(g.op("Mul", [power, g.constant(factor, f"{h}/twice")], h), freqs)]
    eps = g.constant(backend.epsilon(), f"{h}/epsilon")
    magnitude = g.op("Sqrt", [g.op("Max", [power, eps], h)], h)
    if layer.mode == "magnitude":
        return [arrange(magnitude, freqs)]
    return [arrange(g.op("Log", [g.op("Max", [magnitude, eps], h)], h), freqs)]


def _window(window, sequence_length, fft_length):
    """The window as ``ops.stft`` pads it (float64)."""
    from brickwork.ops.numeric import _padded_window
    win = _padded_window(np, "stft", window, sequence_length, fft_length)
    return np.asarray(win, np.float64)  # computed with NumPy itself (xp=np)


@converter(L.MelSpectrogram)
def mel_spectrogram(call):
    from brickwork.layers.spectrogram import linear_to_mel_weight_matrix
    layer, g, h = call.layer, call.graph, call.hint
    if len(call.input_shapes[0]) != 2:
        call.refuse(f"its input has shape {call.input_shapes[0]}; export takes a batch of "
                    f"signals (batch, time)")
    n = layer.fft_length
    x = as_float(call, call.inputs[0])
    x = g.op("Pad", [x, g.ints([0, n // 2, 0, n // 2], f"{h}/pads")], h, mode="reflect")
    signal = g.op("Unsqueeze", [x, g.ints([1], f"{h}/axis")], h)
    window = _window(layer.window, layer.sequence_length, n)
    bins = n // 2 + 1
    angle = 2.0 * np.pi * np.outer(np.arange(bins), np.arange(n)) / n
    real_kernel = (window * np.cos(angle))[:, None, :].astype(np.float32)
    imag_kernel = (-window * np.sin(angle))[:, None, :].astype(np.float32)
    stride = layer.sequence_stride
    no_pads = {"pads": [0, 0]}
    real = _frames(g, signal, real_kernel, stride, no_pads, f"{h}/real")
    imag = _frames(g, signal, imag_kernel, stride, no_pads, f"{h}/imag")
    power = g.op("Add", [g.op("Mul", [real, real], h), g.op("Mul", [imag, imag], h)], h)
    spectrum = g.op("Pow", [g.op("Sqrt", [power], h),
                            g.constant(float(layer.mag_exp), f"{h}/mag_exp")], h)
    matrix = linear_to_mel_weight_matrix(layer.num_mel_bins, bins, layer.sampling_rate,
                                         layer.min_freq, layer.max_freq)
    # (batch, freqs, frames) x (freqs, mels) -> (batch, mels, frames), as the layer's swapaxes
    out = g.op("Einsum", [spectrum, g.constant(matrix, f"{h}/mel_matrix")], h,
               equation="bft,fm->bmt")
    if layer.power_to_db:
        floor_power = g.constant(float(layer.min_power), f"{h}/min_power")
        log_spec = g.op("Mul", [g.op("Log", [g.op("Max", [out, floor_power], h)], h),
                                g.constant(10.0 / math.log(10.0), f"{h}/db")], h)
        reference = 10.0 * math.log10(max(abs(layer.ref_power), layer.min_power))
        log_spec = g.op("Sub", [log_spec, g.constant(reference, f"{h}/reference")], h)
        # The floor is relative to the largest value of the whole batch, as the layer's.
        floor = g.op("Sub", [g.op("ReduceMax", [log_spec], h, keepdims=0),
                             g.constant(float(layer.top_db), f"{h}/top_db")], h)
        out = g.op("Max", [log_spec, floor], h)
    return [out]
