"""Text processing as ``TextVectorization`` does it in TensorFlow, on
Python strings: standardization, splitting and n-grams."""
from __future__ import annotations

import re

import numpy as np

from brickwork.layers.preprocessing.host_layer import as_strings

#: ``tf.strings.lower`` without an encoding lowercases ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: The characters Keras's ``strip_punctuation`` removes.
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')
#: ``tf.strings.split`` without a separator splits on these (ASCII whitespace).
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")

STANDARDIZE_MODES = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT_MODES = ("whitespace", "character")


def standardize(strings, mode):
    """Apply a named standardization to an object array of strings."""
    def one(text):
        if mode in ("lower", "lower_and_strip_punctuation"):
            text = text.translate(_ASCII_LOWER)
        if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _PUNCTUATION.sub("", text)
        return text
    out = np.empty(strings.shape, dtype=object)
    out.reshape(-1)[:] = [one(s) for s in strings.reshape(-1)] if strings.size else []
    return out


def split(strings, mode):
    """Split a 1-D object array of strings into a list of token lists."""
    if mode == "whitespace":
        return [[t for t in _WHITESPACE.split(s) if t] for s in strings.tolist()]
    return [list(s) for s in strings.tolist()]  # "character": one token per code point


def ngrams(tokens, widths):
    """The n-grams of a token list, all of the first width, then the next, ..."""
    grams = []
    for width in widths:
        grams.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return grams


def from_callable_result(result):
    """A user standardize/split result as strings (an array, or a list of token lists)."""
    if isinstance(result, list) and (not result or isinstance(result[0], (list, np.ndarray))):
        return [as_strings(np.asarray(row, dtype=object)).tolist() for row in result]
    if hasattr(result, "numpy") and not isinstance(result, np.ndarray):
        result = result.numpy()
    return as_strings(np.asarray(result))
