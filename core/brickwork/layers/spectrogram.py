"""Audio front ends: STFTSpectrogram (a short-time Fourier transform as a
convolution with trainable kernels) and MelSpectrogram (a fixed mel-scale
spectrogram, in decibels by default), with Keras 3's arguments and outputs."""
from __future__ import annotations

import math
import warnings

import numpy as np

from brickwork import backend, initializers, ops
from brickwork.api_export import keras_export
from brickwork.backend import image_data_format
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.ops.convolution import conv_output_length, standardize_data_format

_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@keras_export("keras.layers.STFTSpectrogram")
class STFTSpectrogram(Layer):
    """Spectrogram of each channel of a signal, computed as a strided 1D
    convolution with kernels initialized to the windowed Fourier basis
    (``initializers.STFT``); the kernels are weights, so the front end can
    be fine-tuned.

    Args:
        mode: what to return: "log" (log magnitude, default), "magnitude",
            "psd" (power spectral density), "real", "imag", "angle" or
            "stft" (real and imaginary parts concatenated on the frequency axis).
        frame_length: samples per frame (the kernel length). Default 256.
        frame_step: hop between frames; default ``frame_length // 2``.
        fft_length: FFT size (>= frame_length); default the next power of two.
        window: window name (as ``initializers.STFT``), values, or None.
        periodic: use a periodic rather than a symmetric window.
        scaling: "density", "spectrum" or None (see ``initializers.STFT``).
        padding: "valid" or "same" framing of the signal.
        expand_dims: return a 4D output with channels on their own axis
            (for image layers) instead of channels times frequencies.
        data_format: "channels_last" or "channels_first".

    Weights: ``real_kernel`` and ``imag_kernel`` ``(frame_length, 1,
    fft_length // 2 + 1)`` (only the one needed in "real"/"imag" mode).

    Input shape: ``(batch, time, channels)`` (channels_last) or
    ``(batch, channels, time)``. Output shape: ``(batch, frames, channels *
    freqs)`` (``(batch, frames, freqs, channels)`` with ``expand_dims``); for
    channels_first ``(batch, channels * freqs, frames)`` (``(batch, channels,
    frames, freqs)``), where ``freqs = fft_length // 2 + 1`` (twice that in
    "stft" mode).

    Examples:
        >>> layer = brickwork.layers.STFTSpectrogram(frame_length=64, frame_step=32)
        >>> layer(np.random.rand(2, 1024, 1).astype("float32")).shape
        (2, 31, 33)
    """

    def __init__(self, mode="log", frame_length=256, frame_step=None, fft_length=None,
                 window="hann", periodic=False, scaling="density", padding="valid",
                 expand_dims=False, data_format=None, **kwargs):
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(f"STFTSpectrogram: `frame_step` should be a positive integer not "
                             f"greater than `frame_length`. Received frame_step={frame_step}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(f"STFTSpectrogram: `fft_length` should be not less than "
                             f"`frame_length`. Received fft_length={fft_length}, "
                             f"frame_length={frame_length}")
        if fft_length is not None and fft_length & -fft_length != fft_length:
            warnings.warn(f"`fft_length` is recommended to be a power of two. Received "
                          f"fft_length={fft_length}", stacklevel=2)
        if mode not in _STFT_MODES:
            raise ValueError(f"STFTSpectrogram: output mode is invalid, it must be one of "
                             f"{', '.join(_STFT_MODES)}. Received: mode={mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"STFTSpectrogram: scaling is invalid, it must be `None`, "
                             f"'density' or 'spectrum'. Received scaling={scaling!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"STFTSpectrogram: padding is invalid, it should be 'valid', "
                             f"'same'. Received: padding={padding!r}")
        initializers.STFT("real", window, scaling, periodic)  # an unknown window fails here
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format or image_data_format())
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=initializers.STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=initializers.STFT("imag", self.window, self.scaling, self.periodic))
        self.built = True

    def _frames(self, inputs, kernel):
        """``(batch, channels, freqs, frames)``: each channel convolved on its own."""
        if self.data_format == "channels_last":
            _, time, channels = ops.shape(inputs)
            signal = ops.reshape(ops.transpose(inputs, (0, 2, 1)), (-1, time, 1))
        else:
            _, channels, time = ops.shape(inputs)
            signal = ops.reshape(inputs, (-1, 1, time))
        out = ops.conv(signal, ops.cast(kernel, ops.dtype_of(inputs)), strides=self._frame_step,
                       padding=self.padding, data_format=self.data_format)
        if self.data_format == "channels_last":
            out = ops.transpose(out, (0, 2, 1))
        _, freqs, frames = ops.shape(out)
        return ops.reshape(out, (-1, channels, freqs, frames))

    def _arrange(self, outputs):
        _, channels, freqs, frames = ops.shape(outputs)
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(outputs, (0, 3, 2, 1))
            return ops.transpose(ops.reshape(outputs, (-1, channels * freqs, frames)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(outputs, (0, 1, 3, 2))
        return ops.reshape(outputs, (-1, channels * freqs, frames))

    def call(self, inputs):
        dtype = ops.dtype_of(inputs)
        if dtype not in ("float16", "float32", "float64"):
            raise TypeError(f"STFTSpectrogram layer {self.name!r}: invalid input type. Expected "
                            f"`float16`, `float32` or `float64`. Received: input type={dtype}")
        real = self._frames(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._frames(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(ops.arctan2(imag, real))
        if self.mode == "stft":
            return self._arrange(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            # One-sided density: every bin but DC and Nyquist counts twice.
            inner = ops.getitem(power, (slice(None), slice(None), slice(1, -1)))
            return self._arrange(ops.add(power, ops.pad(inner, [(0, 0), (0, 0), (1, 1), (0, 0)])))
        eps = backend.epsilon()
        magnitude = self._arrange(ops.sqrt(ops.maximum(power, eps)))
        if self.mode == "magnitude":
            return magnitude
        return ops.log(ops.maximum(magnitude, eps))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"STFTSpectrogram layer {self.name!r} expects inputs of rank 3, "
                             f"received shape {tuple(input_shape)}")
        if self.data_format == "channels_last":
            batch, time, channels = input_shape
        else:
            batch, channels, time = input_shape
        freqs = self._fft_length // 2 + 1
        if self.mode == "stft":
            freqs *= 2
        frames = None if time is None else conv_output_length(
            time, self.frame_length, self._frame_step, 1, self.padding)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, freqs, channels)
            return (batch, channels, frames, freqs)
        flat = None if channels is None else freqs * channels
        if self.data_format == "channels_last":
            return (batch, frames, flat)
        return (batch, flat, frames)

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "frame_length": self.frame_length,
                       "frame_step": self.frame_step, "fft_length": self.fft_length,
                       "window": self.window, "periodic": self.periodic,
                       "scaling": self.scaling, "padding": self.padding,
                       "data_format": self.data_format, "expand_dims": self.expand_dims})
        return config


# Slaney-style mel scale constants of Keras (and tf.signal).
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz):
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins, num_spectrogram_bins, sampling_rate,
                                lower_edge_hertz, upper_edge_hertz, dtype="float32"):
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters mapping a
    linear spectrum to the mel scale (the DC bin maps to nothing), computed
    step by step in ``dtype`` as Keras computes it."""
    dt = np.dtype(dtype)
    nyquist = dt.type(sampling_rate) / dt.type(2.0)
    frequencies = np.linspace(dt.type(0), nyquist, num_spectrogram_bins, dtype=dt)[1:]
    bins_mel = _hertz_to_mel(frequencies).astype(dt)[:, None]
    edges = np.linspace(_hertz_to_mel(dt.type(lower_edge_hertz)),
                        _hertz_to_mel(dt.type(upper_edge_hertz)), num_mel_bins + 2,
                        dtype=dt)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(dt.type(0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [(1, 0), (0, 0)]).astype(dt)


@keras_export("keras.layers.MelSpectrogram")
class MelSpectrogram(Layer):
    """Mel-scaled spectrogram of raw audio: the magnitude STFT (centred,
    reflect-padded frames) raised to ``mag_exp``, mapped onto
    ``num_mel_bins`` triangular mel filters, and (by default) converted to
    decibels and floored at ``top_db`` below the loudest value.

    Args:
        fft_length: FFT size. Default 2048.
        sequence_stride: hop between frames. Default 512.
        sequence_length: window length (<= fft_length); default fft_length.
        window: "hann", "hamming" or None.
        sampling_rate: samples per second of the audio. Default 16000.
        num_mel_bins: number of mel bands. Default 128.
        min_freq: the lowest band edge in Hz. Default 20.0.
        max_freq: the highest band edge in Hz; None (the default) is
            ``sampling_rate / 2``.
        power_to_db: convert power to decibels. Default True.
        top_db: dynamic range kept in dB (over the whole batch, as Keras).
        mag_exp: exponent of the magnitude (2.0: power). Default 2.0.
        min_power: floor of the power before the log. Default 1e-10.
        ref_power: power that maps to 0 dB. Default 1.0.

    Input shape: ``(time,)`` or ``(batch, time)``. Output shape:
    ``(num_mel_bins, frames)`` or ``(batch, num_mel_bins, frames)``, with
    ``frames = 1 + time // sequence_stride``. No weights.

    Examples:
        >>> layer = brickwork.layers.MelSpectrogram(num_mel_bins=64, fft_length=512,
        ...                                         sequence_stride=256)
        >>> layer(np.random.rand(2, 16000).astype("float32")).shape
        (2, 64, 63)
    """

    def __init__(self, fft_length=2048, sequence_stride=512, sequence_length=None,
                 window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0,
                 max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10,
                 ref_power=1.0, **kwargs):
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(f"MelSpectrogram: `fft_length` must be greater than or equal to "
                             f"`sequence_length`. Received: `sequence_length`="
                             f"{self.sequence_length}, `fft_length`={self.fft_length}.")
        super().__init__(**kwargs)
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        self.built = True

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        if ops.dtype_of(inputs) != dtype:
            inputs = ops.cast(inputs, dtype)
        real, imag = ops.stft(inputs, self.sequence_length, self.sequence_stride,
                              self.fft_length, window=self.window, center=True)
        spectrum = ops.power(ops.sqrt(ops.add(ops.square(real), ops.square(imag))),
                             self.mag_exp)
        matrix = linear_to_mel_weight_matrix(self.num_mel_bins, ops.shape(spectrum)[-1],
                                             self.sampling_rate, self.min_freq, self.max_freq)
        outputs = ops.tensordot(spectrum, ops.convert_to_tensor(matrix.astype(dtype)), axes=1)
        if self.power_to_db:
            outputs = self._decibels(outputs)
        outputs = ops.swapaxes(outputs, -1, -2)
        return ops.cast(outputs, self.compute_dtype)

    def _decibels(self, power):
        log_spec = ops.multiply(10.0, ops.log10(ops.maximum(power, self.min_power)))
        reference = 10.0 * math.log10(max(abs(self.ref_power), self.min_power))
        log_spec = ops.subtract(log_spec, reference)
        floor = ops.subtract(ops.max(log_spec), self.top_db)
        return ops.maximum(log_spec, floor)

    def compute_output_shape(self, input_shape):
        def frames(length):
            # The frames ops.stft makes of the centred (reflect-padded) signal; Keras's
            # formula, (length + stride + 1) // stride, is one too many for some lengths.
            if length is None:
                return None
            padded = length + 2 * (self.fft_length // 2)
            return 1 + (padded - self.fft_length) // self.sequence_stride
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames(input_shape[0]))
        return (input_shape[0], self.num_mel_bins, frames(input_shape[1]))

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length, "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length, "window": self.window,
            "sampling_rate": self.sampling_rate, "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq, "max_freq": self.max_freq,
            "power_to_db": self.power_to_db, "top_db": self.top_db, "mag_exp": self.mag_exp,
            "min_power": self.min_power, "ref_power": self.ref_power})
        return config
