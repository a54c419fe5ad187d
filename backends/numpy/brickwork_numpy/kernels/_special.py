"""The error function (not a kernel module: no hookimpls here): the
reference's Cody approximation, or SciPy's ``erf`` where SciPy is
importable (it is not a dependency). Both compute in the input's dtype."""
import numpy as np

from brickwork.reference_kernels import bind, special

reference = bind(special, globals(), xp=np)

try:
    from scipy.special import erf as _scipy_erf
except ImportError:  # SciPy is optional
    _scipy_erf = None


def erf(x):
    """The error function, elementwise, in ``x``'s floating dtype."""
    if _scipy_erf is not None:
        x = np.asarray(x)
        return _scipy_erf(x).astype(x.dtype, copy=False)
    return erf_cody(x)
