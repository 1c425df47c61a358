"""flat_map / interleave know their element_spec without reading an element, as TF (which
traces map_func with the input's element_spec): empty inputs work, and the specs are the ones
TensorFlow 2.21 gives (recorded)."""
import numpy as np
import pytest

import autograph_jit as tf

D = tf.data.Dataset
S = tf.TensorSpec


def _file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x\ny\n")
    return str(path)


CASES = {  # name: (dataset factory, TF 2.21's element_spec, TF's elements)
    "range_empty": (lambda p: D.range(0).flat_map(lambda x: D.range(x)),
                    S((), tf.int64), []),
    "slices_empty": (lambda p: D.from_tensor_slices(np.zeros([0, 3], "float32")).flat_map(
        lambda v: D.from_tensor_slices(v)), S((), tf.float32), []),
    "tensors_empty": (lambda p: D.from_tensor_slices(np.zeros([0, 3], "float32")).flat_map(
        lambda v: D.from_tensors(v)), S((3,), tf.float32), []),
    "value_dependent_shape": (lambda p: D.range(3).flat_map(
        lambda x: D.from_tensors(tf.range(x))), S((None,), tf.int64), [[], [0], [0, 1]]),
    "value_dependent_shape_empty": (lambda p: D.range(0).flat_map(
        lambda x: D.from_tensors(tf.range(x))), S((None,), tf.int64), []),
    "interleave_empty": (lambda p: D.range(0).interleave(
        lambda x: D.from_tensors(x).repeat(2), cycle_length=2), S((), tf.int64), []),
    "interleave": (lambda p: D.range(3).interleave(
        lambda x: D.from_tensors(x).repeat(2), cycle_length=2), S((), tf.int64),
        [0, 1, 0, 1, 2, 2]),
    "window_batch": (lambda p: D.range(5).window(3, 1, drop_remainder=True).flat_map(
        lambda w: w.batch(3)), S((None,), tf.int64), [[0, 1, 2], [1, 2, 3], [2, 3, 4]]),
    "window_batch_drop": (lambda p: D.range(5).window(3, 1, drop_remainder=True).flat_map(
        lambda w: w.batch(3, drop_remainder=True)), S((3,), tf.int64),
        [[0, 1, 2], [1, 2, 3], [2, 3, 4]]),
    "window_empty": (lambda p: D.range(0).window(3, 1, drop_remainder=True).flat_map(
        lambda w: w.batch(3)), S((None,), tf.int64), []),
    "tuple_empty": (lambda p: D.from_tensor_slices(
        (np.zeros([0, 2], "float32"), np.zeros([0], "int32"))).flat_map(
        lambda x, y: D.from_tensors((x, y))), (S((2,), tf.float32), S((), tf.int32)), []),
    "dict_empty": (lambda p: D.from_tensor_slices({"a": np.zeros([0, 2], "float32")}).interleave(
        lambda d: D.from_tensor_slices(d["a"]), cycle_length=1), S((), tf.float32), []),
    "files_empty": (lambda p: D.from_tensor_slices(tf.constant([], tf.string)).interleave(
        lambda f: tf.data.TextLineDataset(f), cycle_length=2), S((), tf.string), []),
    "files": (lambda p: D.from_tensor_slices([p]).interleave(
        lambda f: tf.data.TextLineDataset(f), cycle_length=2), S((), tf.string), [b"x", b"y"]),
    "batched_rows": (lambda p: D.from_tensor_slices(np.zeros([3, 3], "float32")).batch(2)
                     .flat_map(lambda b: D.from_tensors(b)), S((None, 3), tf.float32),
                     [[[0.0] * 3] * 2, [[0.0] * 3]]),
    "batched_rows_empty": (lambda p: D.from_tensor_slices(np.zeros([0, 3], "float32")).batch(2)
                           .flat_map(lambda b: D.from_tensor_slices(b).batch(4)),
                           S((None, 3), tf.float32), []),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_flat_map_and_interleave_element_spec_match_tensorflow(name, tmp_path):
    make, spec, elements = CASES[name]
    ds = make(_file(tmp_path))
    assert ds.element_spec == spec
    got = [np.asarray(e.numpy()).tolist() for e in ds]
    assert got == elements


def test_map_func_failing_on_a_placeholder_takes_the_first_elements_spec():
    parts = [np.arange(4.0)]          # indexing a Python list: only element 0 exists
    ds = D.range(1).flat_map(lambda i: D.from_tensor_slices(parts[int(i)]))
    assert ds.element_spec == S((), tf.float64)
    assert [e.numpy() for e in ds] == [0.0, 1.0, 2.0, 3.0]


def test_empty_input_and_map_func_failing_on_a_placeholder_names_the_error():
    parts = []
    ds = D.range(0).flat_map(lambda i: D.from_tensor_slices(parts[int(i)]))
    with pytest.raises(ValueError, match="IndexError"):
        ds.element_spec
