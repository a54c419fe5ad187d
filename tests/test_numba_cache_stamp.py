"""numba's cache of the compiled loops is dropped when their sources change
(numba itself checks only a function's own file, not the helpers it calls)."""
import pytest

pytest.importorskip("numba")

from brickwork_numpy.compiled import cache_stamp  # noqa: E402


def test_a_changed_source_drops_the_cache_and_an_unchanged_one_keeps_it(tmp_path):
    (tmp_path / "loops.py").write_text("def f():\n    return 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    for name in ("loops.f-1.py311.nbi", "loops.f-1.py311.1.nbc", "loops.cpython-311.pyc"):
        (cache / name).write_bytes(b"x")
    assert cache_stamp.drop_stale_cache(tmp_path) == 2  # no stamp yet: made from unknown sources
    assert sorted(p.name for p in cache.iterdir()) == [cache_stamp.STAMP_NAME,
                                                       "loops.cpython-311.pyc"]
    (cache / "loops.f-1.py311.nbi").write_bytes(b"x")  # compiled again
    assert cache_stamp.drop_stale_cache(tmp_path) == 0  # same sources: kept
    (tmp_path / "helpers.py").write_text("def g():\n    return 2\n")  # another file changes
    assert cache_stamp.drop_stale_cache(tmp_path) == 1
    assert not (cache / "loops.f-1.py311.nbi").exists()


def test_the_package_stamp_matches_its_sources_once_the_backend_is_selected():
    import brickwork  # noqa: F401  (selects the NumPy backend, which activates the loops)
    from brickwork import backend
    backend.set_backend("numpy")
    cache_stamp.drop_stale_cache()
    stamp = cache_stamp.PACKAGE_DIR / "__pycache__" / cache_stamp.STAMP_NAME
    if stamp.exists():  # a writable checkout or install
        assert stamp.read_text() == cache_stamp.sources_digest()
