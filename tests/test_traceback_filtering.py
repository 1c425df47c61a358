"""Errors from public functions show the user's frames, not the library's (as JAX filters
tracebacks); the full traceback comes back with tf.config.set_debug_tracebacks(True)."""
import pickle
import traceback

import pytest

import autograph_jit as tf


def _frames(exc):
    return [f.filename for f in traceback.extract_tb(exc.__traceback__)]


def _library(files):
    return [f for f in files if "/autograph_jit/" in f and not f.endswith("api_boundary.py")
            or "/runtime/" in f]


def test_an_eager_op_error_shows_no_library_frames():
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.reduce_sum(tf.constant([1.0, 2.0]), axis=3)
    assert _library(_frames(e.value)) == []
    assert not getattr(e.value, "__notes__", None)  # the message is the op's own


def test_user_frames_inside_a_library_call_stay_visible():
    def branch():
        return tf.reduce_sum(tf.constant([1.0]), axis=5)
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        tf.cond(tf.constant(True), branch, lambda: tf.constant(0.0))
    names = [f.name for f in traceback.extract_tb(e.value.__traceback__)]
    assert "branch" in names
    assert _library(_frames(e.value)) == []


def test_debug_tracebacks_keeps_every_frame():
    tf.config.set_debug_tracebacks(True)
    try:
        with pytest.raises(tf.errors.InvalidArgumentError) as e:
            tf.reduce_sum(tf.constant([1.0, 2.0]), axis=3)
    finally:
        tf.config.set_debug_tracebacks(False)
    assert _library(_frames(e.value)) != []


def test_wrapped_public_functions_keep_name_doc_signature_and_pickle_by_reference():
    import inspect
    assert tf.reduce_sum.__name__ == "reduce_sum" and tf.reduce_sum.__doc__
    assert list(inspect.signature(tf.reduce_sum).parameters)[:2] == ["input_tensor", "axis"]
    for f in (tf.add, tf.nn.relu, tf.math.exp, tf.linalg.inv, tf.strings.upper):
        assert pickle.loads(pickle.dumps(f)) is f
    assert tf.add is tf.math.add


def test_an_operator_error_shows_the_users_line_not_the_ops():
    a, b = tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes") as e:
        a + b
    files = _frames(e.value)
    assert files[0].endswith("test_traceback_filtering.py")
    assert [f for f in files if "/autograph_jit/" in f and not f.endswith("operators.py")] == []
