"""The reference kernels: every kernel algorithm of ``brickwork.hookspecs``,
written once against an array namespace ``xp`` (NumPy's API; CuPy follows it).

This is the pattern of Chainer's ``xp`` and Thinc's ``Ops``/``CupyOps``
(DESIGN.md, rule 2): a backend binds these modules to its own array module
with :func:`bind` and then overrides only what it does faster. The NumPy
backend binds them to NumPy and overrides with numba loops, BLAS calls and
reused buffers; the CuPy backend binds them to CuPy and overrides with fused
CUDA kernels (``BRICKWORK_CUPY_REFERENCE`` turns those off again).

One module per kernel family, plus helpers shared between families:

* ``special`` (the error function), ``reductions`` (bias gradients),
  ``geometry`` (windows, padding and scratch buffers of convolution and pooling);
* ``activations``, ``dense``, ``attention``, ``indexing``, ``dropout``,
  ``random``, ``losses``, ``normalization``, ``pooling``, ``convolution``,
  ``recurrent``, ``optimizers``.

Rules for the modules here, so that every backend can bind them:

* arrays come from ``xp`` only (the module-level name ``bind`` replaces;
  it is NumPy here, so each module also runs as it stands), and only
  functions both NumPy and CuPy have (``tests/test_reference_kernels.py``
  checks every ``xp.<name>`` against CuPy);
* a sibling module is imported as a module and used as ``module.name``
  (``bind`` swaps in the backend's module), never ``from .x import name``;
* helpers a backend may want to replace are module-level functions, looked
  up by name at call time; no zero-argument ``super()`` in classes;
* a module imports nothing of brickwork but ``brickwork.plugin`` and its
  siblings, so a backend importing it imports no more of the core.
"""
from brickwork.reference_kernels.binding import bind

__all__ = ["bind"]
