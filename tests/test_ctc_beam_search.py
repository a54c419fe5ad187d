"""ops.ctc_decode(strategy="beam_search") against Keras 3 (fixture from
tests/fixtures/make_keras_ctc_beam_search.py) and against brute force: the
best path is the label sequence with the largest total probability."""
import itertools
import json
import pathlib

import numpy as np
import pytest

from brickwork import ops

CASES = json.loads(pathlib.Path(__file__).with_name("fixtures")
                   .joinpath("keras_ctc_beam_search.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_beam_search_matches_keras(case):
    decoded, scores = ops.ctc_decode(
        np.array(case["logits"], dtype="float32"), np.array(case["lengths"]),
        strategy="beam_search", beam_width=case["beam_width"], top_paths=case["top_paths"],
        mask_index=case["mask_index"])
    np.testing.assert_array_equal(np.asarray(decoded), np.array(case["decoded"]))
    np.testing.assert_allclose(np.asarray(scores), np.array(case["scores"]), rtol=1e-5, atol=1e-5)
    assert np.asarray(scores).dtype == np.float32


def _collapse(alignment, blank):
    labels = [c for i, c in enumerate(alignment) if c != blank and (i == 0 or c != alignment[i - 1])]
    return tuple(labels)


def test_a_wide_beam_finds_the_most_probable_labelling():
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=1.5, size=(1, 5, 3))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    totals = {}
    for alignment in itertools.product(range(3), repeat=5):
        labels = _collapse(alignment, blank=0)
        weight = np.exp(sum(log_probs[0, t, c] for t, c in enumerate(alignment)))
        totals[labels] = totals.get(labels, 0.0) + weight
    best = sorted(totals.items(), key=lambda item: -item[1])[:3]
    decoded, scores = ops.ctc_decode(logits, np.array([5]), strategy="beam_search",
                                     beam_width=64, top_paths=3)
    for rank, (labels, probability) in enumerate(best):
        row = np.asarray(decoded)[rank, 0]
        assert tuple(row[row >= 0]) == labels
        np.testing.assert_allclose(np.asarray(scores)[0, rank], np.log(probability), rtol=1e-9)


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="ctc_decode: `strategy` must be 'greedy' or 'beam_search'"):
        ops.ctc_decode(np.zeros((1, 2, 3)), np.array([2]), strategy="prefix")
