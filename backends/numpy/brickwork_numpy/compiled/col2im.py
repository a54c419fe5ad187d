"""col2im for 2-D convolutions: add each output position's per-tap rows back
into the input frame, in one pass.

The NumPy path does one strided ``+=`` over the whole block per kernel tap
(nine passes over a block of im2col rows for a 3x3 kernel); here each
position's rows are read once and added while that image's frame is in
cache. As in ``conv_loops``, the geometry comes as scalars and the loop is a
``prange`` loop so that numba proves the arrays do not alias and LLVM
vectorizes the channel loop; :func:`.split.run_split` runs it (on one
thread unless the work is large).
"""
from __future__ import annotations

from .jit import jit, prange
from .split import run_split


@jit(parallel=True)
def _col2im_rows(start, stop, frame, cols, kernel_w, stride_h, stride_w, dil_h, dil_w):
    out_h, out_w, taps, channels = cols.shape[1], cols.shape[2], cols.shape[3], cols.shape[4]
    for b in prange(start, stop):
        for i in range(out_h):
            for j in range(out_w):
                for tap in range(taps):
                    r = i * stride_h + (tap // kernel_w) * dil_h
                    q = j * stride_w + (tap % kernel_w) * dil_w
                    for c in range(channels):
                        frame[b, r, q, c] += cols[b, i, j, tap, c]


def col2im_2d(frame, cols, kernel_w, strides, dilation_rate):
    """``frame[b, i*s + ti*d, j*s + tj*d] += cols[b, i, j, ti*kernel_w + tj]``
    for every image, output position and tap, in place. frame ``(B, H, W, C)``,
    cols ``(B, out_h, out_w, taps, C)`` contiguous, same dtype."""
    run_split(_col2im_rows, frame.shape[0], frame, cols, kernel_w, strides[0], strides[1],
              dilation_rate[0], dilation_rate[1], work=cols.size)

