"""user_location (tracing/builder.py): the innermost frame outside the library, with frames of
library code that origin.py cannot map skipped from a cache that a new registration clears."""
import os

import autograph_jit
from autograph_jit.autograph import origin
from autograph_jit.tracing.builder import user_location

_LIB_FILE = os.path.join(os.path.dirname(autograph_jit.__file__), "_test_only_library_frame.py")


def _library_function():
    """A function whose code object lies (by filename) in the library: its frames are skipped."""
    namespace = {"user_location": user_location}
    exec(compile("def library_call():\n    return user_location(1)\n", _LIB_FILE, "exec"),
         namespace)
    return namespace["library_call"]


def test_library_frames_are_skipped_and_the_caller_is_found():
    call = _library_function()
    for _ in range(2):  # (the second search uses the cache of skipped frames)
        loc = call()
        assert loc.filename == __file__ and loc.function.startswith("test_library_frames")


def test_a_frame_registered_after_it_was_skipped_maps_to_its_user_function():
    call = _library_function()
    assert call().filename == __file__  # skipped (and cached as unmapped)
    before = origin.registrations()
    origin.register_code(call.__code__, "users_step")
    try:
        assert origin.registrations() == before + 1
        loc = call()
        assert (loc.filename, loc.function) == (_LIB_FILE, "users_step")
    finally:
        origin._CODE_FUNCTIONS.pop(call.__code__, None)
