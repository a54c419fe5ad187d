"""``keras.ops.image``: resizing, cropping, padding, colour conversions and
geometric transforms. Sampling is gathers and weighted sums of
differentiable ops, so gradients reach the images."""
from __future__ import annotations

import math

import numpy as np

from brickwork.dtypes import FLOATX as FLOATX_
from brickwork.ops import manipulation as _a
from brickwork.ops import math as _m
from brickwork.ops.convolution import standardize_data_format
from brickwork.ops.core import backend_xp, data_of


def _channels_last(images, data_format, name):
    data = _a._array(images)
    if data.ndim not in (3, 4):
        raise ValueError(f"{name}: `images` must be 3-D (H, W, C) or 4-D (N, H, W, C) for "
                         f"channels_last, got shape {tuple(data.shape)}")
    first = standardize_data_format(data_format) == "channels_first"
    single = data.ndim == 3
    x = images
    if single:
        x = _a.expand_dims(x, 0)
    if first:
        x = _a.transpose(x, (0, 2, 3, 1))

    def back(y):
        if first:
            y = _a.transpose(y, (0, 3, 1, 2))
        return _a.squeeze(y, 0) if single else y
    return x, back


def _gather(x, rows, cols):
    """``x[n, rows[n, i, j], cols[n, i, j], :]`` for (N, H, W, C) ``x``."""
    xp = backend_xp()
    n, h, w, c = _a._array(x).shape
    batch = xp.arange(n).reshape(-1, *([1] * (rows.ndim - 1)))
    flat = (batch * h + rows) * w + cols
    return _a.take(_a.reshape(x, (n * h * w, c)), flat.reshape(-1).astype("int64"), axis=0) \
        if flat.size else _a.reshape(x, (0, c))


def _sample(x, rows, cols, interpolation, fill_mode, fill_value):
    """Sample (N, H, W, C) ``x`` at float coordinates (N, H', W') -> (N, H', W', C)."""
    xp = backend_xp()
    n, h, w, c = _a._array(x).shape
    out_shape = rows.shape + (c,)
    dtype = _a._array(x).dtype

    def resolve(index, size):
        """Index into range per ``fill_mode``; also whether it was inside."""
        inside = (index >= 0) & (index <= size - 1)
        if fill_mode == "nearest":
            index = xp.clip(index, 0, size - 1)
        elif fill_mode == "wrap":
            index = xp.mod(index, size)
        elif fill_mode == "reflect":
            period = 2 * size
            index = xp.mod(index, period)
            index = xp.where(index >= size, period - 1 - index, index)
        elif fill_mode == "mirror":
            if size == 1:
                index = xp.zeros_like(index)
            else:
                period = 2 * size - 2
                index = xp.mod(index, period)
                index = xp.where(index >= size, period - index, index)
        return xp.clip(index, 0, size - 1).astype("int64"), inside

    if interpolation == "nearest":
        r, r_in = resolve(xp.round(rows), h)
        q, q_in = resolve(xp.round(cols), w)
        values = _a.reshape(_gather(x, r, q), out_shape)
        if fill_mode == "constant":
            keep = (r_in & q_in)[..., None]
            values = _m.where(keep, values, xp.asarray(fill_value, dtype=dtype))
        return values
    if interpolation != "bilinear":
        raise ValueError(f"interpolation {interpolation!r} is not supported; use 'bilinear' or "
                         f"'nearest'")
    r0 = xp.floor(rows)
    q0 = xp.floor(cols)
    total = None
    for dr in (0, 1):
        for dq in (0, 1):
            rr, qq = r0 + dr, q0 + dq
            weight = (1 - xp.abs(rows - rr)) * (1 - xp.abs(cols - qq))
            ri, r_in = resolve(rr, h)
            qi, q_in = resolve(qq, w)
            values = _a.reshape(_gather(x, ri, qi), out_shape)
            if fill_mode == "constant":
                values = _m.where((r_in & q_in)[..., None], values,
                                  xp.asarray(fill_value, dtype=dtype))
            term = _m.multiply(values, weight[..., None].astype(dtype))
            total = term if total is None else _m.add(total, term)
    return total


#: The interpolations ``resize`` (and the ``Resizing`` layer) accept, as Keras.
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize images to ``size = (height, width)``, as Keras's ``ops.image.resize``.

    ``bilinear``, ``bicubic`` (Keys, a=-0.5), ``lanczos3`` and ``lanczos5``
    resample with half-pixel centres and, with ``antialias=True`` when
    shrinking, a kernel widened by the scale (``jax.image.resize``);
    ``nearest`` takes the pixel under each output centre; ``area`` averages
    the input pixels each output pixel covers (TensorFlow's ``resize_area``).
    Integer images come back in their dtype, rounded and clipped to the
    input's range.
    """
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize: invalid `interpolation` {interpolation!r}; expected one of "
                         f"{RESIZE_INTERPOLATIONS}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported (it fills the padding "
                         f"of pad_to_aspect_ratio); received fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                         "can be True")
    if len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width), got {size}")
    x, back = _channels_last(images, data_format, "resize")
    n, h, w, c = _a._array(x).shape
    out_h, out_w = (int(d) for d in size)
    if crop_to_aspect_ratio:  # Keras's truncating arithmetic
        crop_h = max(min(h, int(float(w * out_h) / out_w)), 1)
        crop_w = max(min(w, int(float(h * out_w) / out_h)), 1)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        x = _a.getitem(x, (slice(None), slice(top, top + crop_h), slice(left, left + crop_w)))
        h, w = crop_h, crop_w
    elif pad_to_aspect_ratio:
        pad_h = max(h, int(float(w * out_h) / out_w))
        pad_w = max(w, int(float(h * out_w) / out_h))
        top, left = (pad_h - h) // 2, (pad_w - w) // 2  # the same margin on both sides, as Keras
        x = _a.pad(x, ((0, 0), (top, top), (left, left), (0, 0)), constant_values=fill_value)
        h, w = h + 2 * top, w + 2 * left
    if interpolation == "nearest":
        return back(_resize_nearest(x, h, w, out_h, out_w))
    data = _a._array(x)
    integer = data.dtype.kind in "iub"
    if integer:
        x = data.astype("float32")
    for axis, in_size, out_size in ((1, h, out_h), (2, w, out_w)):
        if in_size == out_size and interpolation != "area":
            continue  # Keras resamples only the dimensions whose size changes
        weights = (_area_weights(in_size, out_size) if interpolation == "area" else
                   _resampling_weights(in_size, out_size, out_size / in_size if in_size else 1.0,
                                       0.0, _resampling_kernel(interpolation), antialias))
        x = _apply_weights(x, weights, axis)
    if integer:
        xp = backend_xp()
        low, high = (data.min(), data.max()) if data.size else (0, 0)
        x = xp.clip(xp.round(_a._array(x)), low, high).astype(data.dtype)
    return back(x)


def _resize_nearest(x, h, w, out_h, out_w):
    xp = backend_xp()
    rows = xp.clip(xp.floor((xp.arange(out_h, dtype="float32") + 0.5) * h / out_h), 0, h - 1)
    cols = xp.clip(xp.floor((xp.arange(out_w, dtype="float32") + 0.5) * w / out_w), 0, w - 1)
    y = _a.take(x, rows.astype("int64"), axis=1)
    return _a.take(y, cols.astype("int64"), axis=2)


def _area_weights(in_size, out_size):
    """(in, out) weights: the share of each input pixel inside each output pixel's box."""
    xp = backend_xp()
    scale = in_size / out_size
    starts = xp.arange(out_size, dtype="float64")[None, :] * scale
    pixels = xp.arange(in_size, dtype="float64")[:, None]
    overlap = xp.minimum(pixels + 1, starts + scale) - xp.maximum(pixels, starts)
    return xp.maximum(overlap, 0.0) / scale


def _resampling_weights(in_size, out_size, scale, translation, kernel, antialias):
    """(in, out) weights of ``jax.image.scale_and_translate`` along one dimension."""
    xp = backend_xp()
    inv = 1.0 / float(scale)
    kernel_scale = max(inv, 1.0) if antialias else 1.0
    sample = (xp.arange(out_size) + 0.5) * inv - float(translation) * inv - 0.5
    distance = xp.abs(sample[None, :] - xp.arange(in_size, dtype="float64")[:, None]) / kernel_scale
    weights = kernel(distance)
    total = weights.sum(axis=0, keepdims=True)
    weights = xp.where(xp.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                       weights / xp.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return xp.where(inside[None, :], weights, 0.0)


def _apply_weights(x, weights, axis):
    """Contract ``axis`` of ``x`` with (in, out) ``weights`` (differentiable)."""
    from brickwork.ops.numeric import tensordot
    weights = weights.astype(_a._array(x).dtype)
    moved = _a.moveaxis(x, axis, -1)
    return _a.moveaxis(tensordot(moved, weights, axes=1), -1, axis)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    x, back = _channels_last(images, data_format, "crop_images")
    _, h, w, _ = _a._array(x).shape
    top = top_cropping or 0
    left = left_cropping or 0
    if target_height is None:
        target_height = h - top - (bottom_cropping or 0)
    elif bottom_cropping is not None and top_cropping is None:
        top = h - bottom_cropping - target_height
    if target_width is None:
        target_width = w - left - (right_cropping or 0)
    elif right_cropping is not None and left_cropping is None:
        left = w - right_cropping - target_width
    if top < 0 or left < 0 or top + target_height > h or left + target_width > w or \
            target_height <= 0 or target_width <= 0:
        raise ValueError(f"crop_images: the crop (top={top}, left={left}, height={target_height}, "
                         f"width={target_width}) does not fit images of height {h} and width {w}")
    return back(_a.getitem(x, (slice(None), slice(top, top + target_height),
                               slice(left, left + target_width))))


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    x, back = _channels_last(images, data_format, "pad_images")
    _, h, w, _ = _a._array(x).shape
    top = top_padding
    bottom = bottom_padding
    if target_height is not None:
        if top is None and bottom is None:
            raise ValueError("pad_images: with `target_height`, give `top_padding` or `bottom_padding`")
        if top is None:
            top = target_height - h - bottom
        bottom = target_height - h - top
    left = left_padding
    right = right_padding
    if target_width is not None:
        if left is None and right is None:
            raise ValueError("pad_images: with `target_width`, give `left_padding` or `right_padding`")
        if left is None:
            left = target_width - w - right
        right = target_width - w - left
    widths = (top or 0, bottom or 0, left or 0, right or 0)
    if min(widths) < 0:
        raise ValueError(f"pad_images: the padding {widths} is negative for images of height {h} "
                         f"and width {w}")
    return back(_a.pad(x, ((0, 0), widths[:2], widths[2:], (0, 0))))


def rgb_to_grayscale(images, data_format=None):
    x, back = _channels_last(images, data_format, "rgb_to_grayscale")
    data = _a._array(x)
    if data.shape[-1] != 3:
        raise ValueError(f"rgb_to_grayscale: `images` must have 3 channels, got shape "
                         f"{tuple(_a._array(images).shape)}")
    weights = backend_xp().asarray([0.2989, 0.5870, 0.1140], dtype=_m._float(data).dtype)
    if data.dtype.kind != "f":
        x = data.astype(weights.dtype)
    return back(_a.expand_dims(_m.sum(_m.multiply(x, weights), axis=-1), -1))


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV (hue in [0, 1)), differentiable where defined."""
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "rgb_to_hsv")
    data = _a._array(x)
    if data.dtype.kind != "f":
        x = data = data.astype(FLOATX_)
    r, g, b = (_a.getitem(x, (Ellipsis, i)) for i in range(3))
    rd, gd, bd = data[..., 0], data[..., 1], data[..., 2]
    value = _m.max(x, axis=-1)
    vd = _a._array(value)
    spread = _m.subtract(value, _m.min(x, axis=-1))
    sd = _a._array(spread)
    one = xp.ones((), dtype=data.dtype)
    saturation = _m.where(vd > 0, _m.divide(spread, _m.where(vd > 0, value, one)), 0 * one)
    safe = _m.where(sd > 0, spread, one)
    hue = _m.where(vd == rd, _m.divide(_m.subtract(g, b), safe),
                   _m.where(vd == gd, _m.add(2.0, _m.divide(_m.subtract(b, r), safe)),
                            _m.add(4.0, _m.divide(_m.subtract(r, g), safe))))
    hue = _m.where(sd > 0, _m.mod(_m.divide(hue, 6.0), 1.0), 0 * one)
    return back(_a.stack([hue, saturation, value], axis=-1))


def hsv_to_rgb(images, data_format=None):
    """HSV (hue in [0, 1)) to RGB, differentiable."""
    x, back = _channels_last(images, data_format, "hsv_to_rgb")
    data = _a._array(x)
    if data.dtype.kind != "f":
        x = data.astype(FLOATX_)
    h, s, v = (_a.getitem(x, (Ellipsis, i)) for i in range(3))

    def channel(n):
        k = _m.mod(_m.add(_m.multiply(h, 6.0), float(n)), 6.0)
        weight = _m.clip(_m.minimum(k, _m.subtract(4.0, k)), 0.0, 1.0)
        return _m.subtract(v, _m.multiply(_m.multiply(v, s), weight))
    return back(_a.stack([channel(5), channel(3), channel(1)], axis=-1))


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """``transform`` rows ``[a0, a1, a2, b0, b1, b2, c0, c1]`` map output
    ``(x, y)`` to input ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``,
    ``k = c0 x + c1 y + 1``, as Keras."""
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "affine_transform")
    n, h, w, c = _a._array(x).shape
    coord_dtype = _m._float(_a._array(x)).dtype  # Keras computes coordinates in the image dtype
    t = xp.asarray(data_of(transform)).astype(coord_dtype)
    if t.ndim == 1:
        t = t[None]
    if t.shape[-1] != 8:
        raise ValueError(f"affine_transform: `transform` must have 8 entries per image, got shape "
                         f"{tuple(t.shape)}")
    t = xp.broadcast_to(t, (n, 8))
    ys, xs = xp.meshgrid(xp.arange(h, dtype=coord_dtype), xp.arange(w, dtype=coord_dtype),
                         indexing="ij")
    a = [t[:, i].reshape(-1, 1, 1) for i in range(8)]
    k = a[6] * xs + a[7] * ys + 1
    cols = (a[0] * xs + a[1] * ys + a[2]) / k
    rows = (a[3] * xs + a[4] * ys + a[5]) / k
    return back(_sample(x, rows, cols, interpolation, fill_mode, fill_value))


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    xp = backend_xp()
    data = _a._array(inputs)
    coords = [xp.asarray(data_of(c), dtype="float64") for c in coordinates]
    if len(coords) != data.ndim:
        raise ValueError(f"map_coordinates: `coordinates` needs one array per axis of `inputs` "
                         f"({data.ndim}), got {len(coords)}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: `order` must be 0 or 1, got {order}")
    strides = np.cumprod((1,) + data.shape[::-1])[:-1][::-1]
    flat = _a.reshape(inputs, (-1,))

    def resolve(index, size):
        inside = (index >= 0) & (index <= size - 1)
        if fill_mode == "nearest":
            index = xp.clip(index, 0, size - 1)
        elif fill_mode == "wrap":
            index = xp.mod(index, size)
        elif fill_mode in ("reflect", "mirror"):
            if fill_mode == "mirror" and size > 1:
                period = 2 * size - 2
                index = xp.mod(index, period)
                index = xp.where(index >= size, period - index, index)
            else:
                period = 2 * size
                index = xp.mod(index, period)
                index = xp.where(index >= size, period - 1 - index, index)
        return xp.clip(index, 0, size - 1).astype("int64"), inside

    if order == 0:
        position = 0
        inside = True
        for coord, size, stride in zip(coords, data.shape, strides):
            idx, ok = resolve(xp.round(coord), size)
            position = position + idx * int(stride)
            inside = inside & ok
        out = _a.take(flat, position, axis=0)
        if fill_mode == "constant":
            out = _m.where(inside, out, xp.asarray(fill_value, dtype=data.dtype))
        return out
    floors = [xp.floor(c) for c in coords]
    total = None
    for corner in np.ndindex(*(2,) * data.ndim):
        weight = 1.0
        position = 0
        inside = True
        for d, (coord, base, size, stride) in enumerate(zip(coords, floors, data.shape, strides)):
            index = base + corner[d]
            weight = weight * (1 - xp.abs(coord - index))
            idx, ok = resolve(index, size)
            position = position + idx * int(stride)
            inside = inside & ok
        values = _a.take(flat, position, axis=0)
        if fill_mode == "constant":
            values = _m.where(inside, values, xp.asarray(fill_value, dtype=data.dtype))
        term = _m.multiply(values, xp.asarray(weight).astype(_m._float(data).dtype))
        total = term if total is None else _m.add(total, term)
    return total


def _depthwise_filter(x, kernel, mode="constant"):
    """Correlate each channel of (N, H, W, C) ``x`` with the 2-D ``kernel``
    ('same' size; borders padded by ``mode``)."""
    from brickwork.ops.convolution import depthwise_conv
    c = _a._array(x).shape[-1]
    kh, kw = kernel.shape
    k = backend_xp().broadcast_to(kernel[:, :, None, None], (kh, kw, c, 1)).astype(_a._array(x).dtype)
    padded = _a.pad(x, ((0, 0), (kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2), (0, 0)),
                    mode=mode)
    return depthwise_conv(padded, k, 1, "valid", "channels_last")


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "gaussian_blur")
    if _a._array(x).dtype.kind != "f":
        x = _m._float(_a._array(x))

    def gauss(size, s):
        r = xp.arange(size, dtype="float64") - (size - 1) / 2
        g = xp.exp(-(r * r) / (2 * s * s))
        return g / g.sum()
    # As Keras computes it (whatever its docstring says): the kernel's rows
    # come from kernel_size[1] / sigma[1], its columns from kernel_size[0] / sigma[0].
    kernel = gauss(kernel_size[1], sigma[1])[:, None] * gauss(kernel_size[0], sigma[0])[None, :]
    return back(_depthwise_filter(x, kernel))


def sobel_edges(images, data_format=None):
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "sobel_edges")
    if _a._array(x).dtype.kind != "f":
        x = _m._float(_a._array(x))
    ky = xp.asarray([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype="float64")
    kx = ky.T
    dy = _depthwise_filter(x, ky)
    dx = _depthwise_filter(x, kx)
    return back(_a.stack([dy, dx], axis=-1))


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    from brickwork.ops.convolution import conv
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "extract_patches")
    size = (size, size) if isinstance(size, int) else tuple(size)
    strides = size if strides is None else ((strides, strides) if isinstance(strides, int) else strides)
    c = _a._array(x).shape[-1]
    count = size[0] * size[1] * c
    eye = xp.eye(count, dtype=_m._float(_a._array(x)).dtype).reshape(size[0], size[1], c, count)
    if _a._array(x).dtype.kind != "f":
        x = _m._float(_a._array(x))
    return back(conv(x, eye, strides, padding, "channels_last", dilation_rate))


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    xp = backend_xp()
    x, back = _channels_last(image1, data_format, "ssim")
    y, _ = _channels_last(image2, data_format, "ssim")
    r = xp.arange(filter_size, dtype="float64") - (filter_size - 1) / 2
    g = xp.exp(-(r * r) / (2 * filter_sigma ** 2))
    g = g / g.sum()
    kernel = g[:, None] * g[None, :]
    from brickwork.ops.convolution import depthwise_conv
    c = _a._array(x).shape[-1]
    k = xp.broadcast_to(kernel[:, :, None, None], (filter_size, filter_size, c, 1)).astype(
        _m._float(_a._array(x)).dtype)

    def filt(v):
        return depthwise_conv(v, k, 1, "valid", "channels_last")
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mx, my = filt(x), filt(y)
    sxx = _m.subtract(filt(_m.square(x)), _m.square(mx))
    syy = _m.subtract(filt(_m.square(y)), _m.square(my))
    sxy = _m.subtract(filt(_m.multiply(x, y)), _m.multiply(mx, my))
    num = _m.multiply(_m.add(_m.multiply(2.0, _m.multiply(mx, my)), c1), _m.add(_m.multiply(2.0, sxy), c2))
    den = _m.multiply(_m.add(_m.add(_m.square(mx), _m.square(my)), c1), _m.add(_m.add(sxx, syy), c2))
    value = _m.mean(_m.divide(num, den), axis=(1, 2, 3))
    return value if _a._array(image1).ndim == 4 else _a.squeeze(value, 0)


def _homography(start_points, end_points, dtype):
    """The 8 coefficients mapping output (end) points to input (start) points."""
    xp = backend_xp()
    start = xp.asarray(data_of(start_points), dtype="float64")
    end = xp.asarray(data_of(end_points), dtype="float64")
    for name, points in (("start_points", start), ("end_points", end)):
        if points.shape[-2:] != (4, 2) or points.ndim not in (2, 3):
            raise ValueError(f"perspective_transform: `{name}` must be (4, 2) or (N, 4, 2), got "
                             f"shape {tuple(points.shape)}")
    if start.shape != end.shape:
        raise ValueError(f"perspective_transform: `start_points` {tuple(start.shape)} and "
                         f"`end_points` {tuple(end.shape)} differ in shape")
    if start.ndim == 2:
        start, end = start[None], end[None]
    rows, targets = [], []
    zeros = xp.zeros(start.shape[0])
    ones = xp.ones(start.shape[0])
    for i in range(4):
        ex, ey = end[:, i, 0], end[:, i, 1]
        sx, sy = start[:, i, 0], start[:, i, 1]
        rows.append(xp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], -1))
        rows.append(xp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], -1))
        targets += [sx, sy]
    matrix = xp.stack(rows, 1)
    vector = xp.stack(targets, 1)[..., None]
    return xp.linalg.solve(matrix, vector)[..., 0].astype(dtype)


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    dtype = _m._float(_a._array(images)).dtype
    transform = _homography(start_points, end_points, dtype)
    return affine_transform(images, transform, interpolation, "constant", fill_value, data_format)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    from brickwork.ops.convolution import conv
    xp = backend_xp()
    data = _a._array(volumes)
    if data.ndim not in (4, 5):
        raise ValueError(f"extract_patches_3d: `volumes` must be 4-D or 5-D, got shape "
                         f"{tuple(data.shape)}")
    single = data.ndim == 4
    x = _a.expand_dims(volumes, 0) if single else volumes
    first = standardize_data_format(data_format) == "channels_first"
    if first:
        x = _a.transpose(x, (0, 2, 3, 4, 1))
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    strides = size if strides is None else ((strides,) * 3 if isinstance(strides, int) else strides)
    c = _a._array(x).shape[-1]
    count = size[0] * size[1] * size[2] * c
    dtype = _m._float(_a._array(x)).dtype
    if _a._array(x).dtype != dtype:
        x = _a._array(x).astype(dtype)
    eye = xp.eye(count, dtype=dtype).reshape(*size, c, count)
    y = conv(x, eye, strides, padding, "channels_last", dilation_rate)
    if first:
        y = _a.transpose(y, (0, 4, 1, 2, 3))
    return _a.squeeze(y, 0) if single else y


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace each pixel by a random field (uniform noise smoothed by a
    Gaussian of ``sigma``, scaled by ``alpha``) and resample."""
    from brickwork import random as _random
    xp = backend_xp()
    x, back = _channels_last(images, data_format, "elastic_transform")
    n, h, w, c = _a._array(x).shape
    dtype = _m._float(_a._array(x)).dtype
    if _a._array(x).dtype != dtype:
        x = _a._array(x).astype(dtype)
    noise = _a._array(_random.uniform((n, h, w, 2), -1.0, 1.0, dtype=dtype, seed=seed))
    size = int(2 * round(3 * sigma) + 1)
    r = xp.arange(size, dtype="float64") - (size - 1) / 2
    g = xp.exp(-(r * r) / (2 * sigma * sigma))
    g = g / g.sum()
    padded = xp.pad(noise, ((0, 0), (size // 2, size // 2), (size // 2, size // 2), (0, 0)),
                    mode="reflect" if size // 2 < min(h, w) else "edge")
    from brickwork.ops.convolution import depthwise_conv
    kernel = xp.broadcast_to((g[:, None] * g[None, :])[:, :, None, None], (size, size, 2, 1))
    field = _a._array(depthwise_conv(padded, kernel.astype(dtype), 1, "valid", "channels_last"))
    field = field * alpha
    ys, xs = xp.meshgrid(xp.arange(h, dtype=dtype), xp.arange(w, dtype=dtype), indexing="ij")
    rows = ys[None] + field[..., 0]
    cols = xs[None] + field[..., 1]
    return back(_sample(x, rows, cols, interpolation, fill_mode, fill_value))


def _resampling_kernel(method):
    xp = backend_xp()
    if method in ("linear", "bilinear", "trilinear", "triangle"):
        return lambda x: xp.maximum(0.0, 1.0 - xp.abs(x))
    if method in ("cubic", "bicubic", "tricubic", "keyscubic"):
        def keys(x):
            x = xp.abs(x)
            out = ((1.5 * x - 2.5) * x) * x + 1.0
            out = xp.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
            return xp.where(x >= 2.0, 0.0, out)
        return keys
    if method in ("lanczos3", "lanczos5"):
        radius = int(method[-1])

        def lanczos(x):
            y = radius * xp.sin(np.pi * x) * xp.sin(np.pi * x / radius)
            out = xp.where(x > 1e-3, y / xp.where(x > 1e-3, np.pi ** 2 * x ** 2, 1.0), 1.0)
            return xp.where(x > radius, 0.0, out)
        return lanczos
    raise ValueError(f"scale_and_translate: unknown `method` {method!r}; use 'linear', 'cubic', "
                     f"'lanczos3' or 'lanczos5'")


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """As ``jax.image.scale_and_translate``: each spatial dim resampled with a
    kernel (widened by 1/scale when shrinking with ``antialias``)."""
    xp = backend_xp()
    kernel = _resampling_kernel(method)
    data = _a._array(images)
    dtype = _m._float(data).dtype
    x = images if data.dtype == dtype else data.astype(dtype)
    scale = xp.asarray(data_of(scale), dtype="float64").reshape(-1)
    translation = xp.asarray(data_of(translation), dtype="float64").reshape(-1)
    for i, dim in enumerate(spatial_dims):
        weights = _resampling_weights(_a._array(x).shape[dim], int(output_shape[dim]),
                                      float(scale[i]), float(translation[i]), kernel, antialias)
        x = _apply_weights(x, weights, dim)
    return x


__all__ = ["resize", "crop_images", "pad_images", "rgb_to_grayscale",
           "rgb_to_hsv", "hsv_to_rgb",
           "affine_transform", "map_coordinates", "gaussian_blur", "sobel_edges",
           "extract_patches", "ssim", "perspective_transform", "extract_patches_3d",
           "elastic_transform", "scale_and_translate"]

del math
