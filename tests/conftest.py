"""Shared test setup: the checkout's package comes first on sys.path, and nothing is written into
the user's home: the disk compile cache (and Keras' download folder) live in a temporary
directory of this test session, removed when it ends."""
import atexit
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

_SESSION_DIR = tempfile.mkdtemp(prefix="autograph_jit-tests-")
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
# (set before the package is imported; tests that need another cache use monkeypatch.setenv)
os.environ["AUTOGRAPH_JIT_CACHE_DIR"] = os.path.join(_SESSION_DIR, "cache")
os.environ.setdefault("KERAS_HOME", os.path.join(_SESSION_DIR, "keras"))

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _native_warm_call_ready():
    """The native warm call's one-time setup, made before the first test: in a process the
    backend makes it in the background once a first function is compiled, and calls take the
    Python path until then (tests/codegen/test_warm_call_setup.py tests that), so tests that
    check a second call is native would otherwise depend on the order they run in."""
    from autograph_jit.codegen.llvm import native_call
    native_call.prepare()
