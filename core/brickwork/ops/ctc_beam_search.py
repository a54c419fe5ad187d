"""CTC prefix beam search (``ops.ctc_decode(strategy="beam_search")``).

Each label prefix keeps two log-probabilities: of the alignments that end in
a label (a repeat of that label merges into it) and of those that end in the
blank (a repeat after it starts a new label). Decoding is sequential and
branchy, so it runs on the host in NumPy whatever the backend.
"""
from __future__ import annotations

import numpy as np

from brickwork.ops.core import convert_to_numpy


def beam_search_decode(log_probs, lengths, beam_width, top_paths, blank):
    """``(decoded, scores)`` as NumPy arrays: the ``top_paths`` most probable
    label sequences of each batch row, (top_paths, batch, time) padded with -1,
    and their log-probabilities, (batch, top_paths).

    ``log_probs`` (batch, time, classes) are log-softmax outputs; ``lengths``
    the number of valid steps per row.
    """
    if beam_width < 1 or top_paths < 1:
        raise ValueError(f"ctc_decode: `beam_width` and `top_paths` must be at least 1, got "
                         f"beam_width={beam_width}, top_paths={top_paths}")
    log_probs = np.asarray(_host_array(log_probs), dtype="float64")
    lengths = np.asarray(_host_array(lengths))
    batch, steps, classes = log_probs.shape
    decoded = np.full((top_paths, batch, steps), -1, dtype="int32")
    scores = np.full((batch, top_paths), -np.inf)
    for b in range(batch):
        beams = _first_beams(log_probs[b, 0], blank, beam_width)  # step 0 even when empty, as Keras
        for t in range(1, int(lengths[b])):
            beams = _extend_beams(beams, log_probs[b, t], blank, beam_width)
        # Fewer prefixes than top_paths: the rest stay empty (-1) with score -inf.
        ranked = sorted(beams.items(), key=lambda item: -np.logaddexp(*item[1]))[:top_paths]
        for rank, (prefix, (ends_in_label, ends_in_blank)) in enumerate(ranked):
            decoded[rank, b, :len(prefix)] = prefix
            scores[b, rank] = np.logaddexp(ends_in_label, ends_in_blank)
    return decoded, scores


def _first_beams(step, blank, beam_width):
    beams = {}
    for c in np.argsort(-step, kind="stable")[:min(beam_width, step.shape[0])]:
        beams[() if c == blank else (int(c),)] = ((-np.inf, step[c]) if c == blank
                                                  else (step[c], -np.inf))
    return beams


def _extend_beams(beams, step, blank, beam_width):
    extended = {}

    def add(prefix, ends_in_label, ends_in_blank):
        label, blank_score = extended.get(prefix, (-np.inf, -np.inf))
        extended[prefix] = (np.logaddexp(label, ends_in_label),
                            np.logaddexp(blank_score, ends_in_blank))
    labels = [c for c in range(step.shape[0]) if c != blank]
    for prefix, (ends_in_label, ends_in_blank) in beams.items():
        total = np.logaddexp(ends_in_label, ends_in_blank)
        add(prefix, -np.inf, total + step[blank])
        for c in labels:
            if prefix and prefix[-1] == c:
                add(prefix, ends_in_label + step[c], -np.inf)  # the repeat merges
                add(prefix + (c,), ends_in_blank + step[c], -np.inf)  # a new label after a blank
            else:
                add(prefix + (c,), total + step[c], -np.inf)
    ranked = sorted(extended.items(), key=lambda item: -np.logaddexp(*item[1]))
    return dict(ranked[:beam_width])


def _host_array(array):
    return convert_to_numpy(array)
