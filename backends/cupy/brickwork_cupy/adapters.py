"""The array adapters of the CuPy backend (``brickwork.array_namespace.ArrayAdapters``):
host transfer, and unbuffered scatter updates from ``cupyx``."""
import cupy
import cupyx


def device(index):
    """GPU ``index`` as the current CUDA device for a ``with`` block."""
    return cupy.cuda.Device(index)


def special_function(name):
    """``cupyx.scipy.special.<name>`` (``erf``, ``erfc``, ``erfinv``)."""
    import cupyx.scipy.special
    return getattr(cupyx.scipy.special, name)


def to_host(array):
    return cupy.asnumpy(array)


def from_host(array):
    return cupy.asarray(array)


def add_at(out, index, values):
    cupyx.scatter_add(out, index, values)


def maximum_at(out, index, values):
    cupyx.scatter_max(out, index, values)


def minimum_at(out, index, values):
    cupyx.scatter_min(out, index, values)


def multiply_at(out, index, values):
    """cupyx has no scatter_multiply: one update at a time, in order, so that
    repeated indices multiply (rare in training: ``scatter_update(..., "mul")``
    and ``segment_prod``)."""
    values = cupy.broadcast_to(cupy.asarray(values, dtype=out.dtype), out[index].shape)
    flat = cupy.arange(out.size).reshape(out.shape)[index].ravel()
    values = values.ravel()
    target = out.reshape(-1) if out.flags.c_contiguous else None
    for position, value in zip(flat.tolist(), values):
        if target is not None:
            target[position] *= value
        else:
            out[cupy.unravel_index(position, out.shape)] *= value
