"""Which traceback frames an error shows: the user's, not this library's (as JAX's traceback
filtering does). A leaf of the base layer, so ops (the Tensor operators), the api boundaries
(api_boundary.py) and tf.function all use the one rule and the one switch
(`tf.config.set_debug_tracebacks`, or AUTOGRAPH_JIT_FULL_TRACEBACKS=1 from the start)."""
import os
import types

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_RUNTIME_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR.rstrip(os.sep)), "runtime") + os.sep

_full = [os.environ.get("AUTOGRAPH_JIT_FULL_TRACEBACKS", "") not in ("", "0")]


def full():
    """True when every frame is kept (the debug switch is on)."""
    return _full[0]


def set_full(flag):
    _full[0] = bool(flag)


def is_library(filename):
    """Whether a frame of `filename` is this library's (the package, its runtime, or code
    AutoGraph generated)."""
    return filename.startswith(_PACKAGE_DIR) or filename.startswith(_RUNTIME_DIR) or \
        filename.startswith("<autograph")


def user_traceback(tb):
    """`tb` (the frames from a boundary inward) without this library's frames: None when only
    library frames are left, so the user's own frames around the boundary are what shows."""
    kept = []
    t = tb
    while t is not None:
        if not is_library(t.tb_frame.f_code.co_filename):
            kept.append(t)
        t = t.tb_next
    new = None
    for t in reversed(kept):
        new = types.TracebackType(new, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return new


def filtered(tb):
    """The traceback to raise with at a boundary: `tb` itself with the debug switch on, else
    `user_traceback(tb)`. Use as `raise e.with_traceback(filtered(e.__traceback__))` in the
    boundary's own `except` (raising from a helper would add the helper's frame)."""
    return tb if _full[0] else user_traceback(tb)
