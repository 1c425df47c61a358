"""Fixtures shared by the CPU backend's tests."""
import pytest


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The on-disk compile caches switched on, in a fresh temporary directory."""
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "1")
    return tmp_path
