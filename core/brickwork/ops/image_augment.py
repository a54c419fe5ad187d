"""Image operations the augmentation layers need beyond ``ops.image``:
the homography of a perspective warp, per-channel histograms and
lookups. Index arithmetic runs on the backend's array namespace; values
flow through differentiable ops where they are differentiable."""
from __future__ import annotations

from brickwork.ops import image as _image
from brickwork.ops import manipulation as _a
from brickwork.ops.core import backend_xp, data_of


def compute_homography_matrix(start_points, end_points):
    """The 8 coefficients ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image that
    map output points (``end_points``) to input points (``start_points``),
    as ``ops.image.perspective_transform`` uses them.

    Args:
        start_points, end_points: ``(N, 4, 2)`` (or ``(4, 2)``) corner
            coordinates ``(x, y)``.

    Returns:
        ``(N, 8)`` float32 array.
    """
    return _image._homography(start_points, end_points, "float32")


def histogram(values, nbins, lower, upper):
    """Counts of ``values`` in ``nbins`` equal bins over ``[lower, upper]``
    (bin ``int((v - lower) * (nbins - 1) / (upper - lower))``, clipped),
    over all entries. Returns an int64 ``(nbins,)`` array (not differentiable)."""
    xp = backend_xp()
    data = xp.asarray(data_of(values), dtype="float32").reshape(-1)
    index = ((data - lower) * (nbins - 1) / (upper - lower)).astype("int32")
    index = xp.clip(index, 0, nbins - 1)
    return xp.bincount(index, minlength=nbins)


def lookup(table, indices):
    """``table[indices]`` for a 1-D ``table`` (gradient flows to the table)."""
    xp = backend_xp()
    index = xp.asarray(data_of(indices)).astype("int64")
    return _a.reshape(_a.take(table, index.reshape(-1), axis=0), index.shape)
