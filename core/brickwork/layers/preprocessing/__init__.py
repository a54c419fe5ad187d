"""Preprocessing layers with Keras's names, arguments and outputs.

Numeric layers run through ``brickwork.ops`` (so they work in functional
models and on every backend); string layers (lookups, hashing, text
vectorization) run on NumPy host arrays, where Keras needs TensorFlow.
"""
from brickwork.layers.preprocessing import (category_encoding, discretization,  # noqa: F401
                                             hashing, image_preprocessing, index_lookup,
                                             normalization, text_vectorization)
