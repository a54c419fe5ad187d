"""NumPy kernel modules; each declares ``BRICKWORK_BACKEND = "numpy"``.

Importing them changes nothing for the process: glibc's allocator is tuned
when the backend is selected (:func:`brickwork_numpy.plugin.activate`).
"""
