"""batch / padded_batch / unbatch / rebatch / window / flat_map / interleave /
group_by_window / bucket_by_sequence_length, against TF's documented examples."""
import numpy as np
import pytest

import autograph_jit as tf

D = tf.data.Dataset


def lists(ds):
    return [np.asarray(v).tolist() for v in ds.as_numpy_iterator()]


def test_batch_keeps_a_short_last_batch_and_an_unknown_batch_dim():
    ds = D.range(8).batch(3)
    assert lists(ds) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert ds.element_spec == tf.TensorSpec([None], tf.int64)
    assert len(ds) == 3


def test_batch_drop_remainder_fixes_the_batch_dim():
    ds = D.range(8).batch(3, drop_remainder=True)
    assert lists(ds) == [[0, 1, 2], [3, 4, 5]]
    assert ds.element_spec == tf.TensorSpec([3], tf.int64)
    assert len(ds) == 2


def test_batch_of_tuples_batches_each_component():
    ds = D.from_tensor_slices((np.arange(4), np.ones((4, 2), np.float32))).batch(2)
    x, y = next(iter(ds))
    assert x.shape == (2,) and y.shape == (2, 2) and y.dtype == tf.float32


def test_batch_of_different_shapes_names_the_component_and_suggests_padded_batch():
    ds = D.range(1, 4).map(lambda x: tf.fill([x], x)).batch(3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="padded_batch"):
        list(ds)


def test_padded_batch_pads_to_the_longest_in_each_batch():
    ds = D.range(1, 5).map(lambda x: tf.fill([x], x)).padded_batch(2)
    assert lists(ds) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert ds.element_spec.shape.as_list() == [None, None]


def test_padded_batch_with_padded_shapes_and_padding_values():
    ds = D.range(1, 3).map(lambda x: tf.fill([x], x)).padded_batch(
        2, padded_shapes=[4], padding_values=np.int64(-1))
    assert lists(ds) == [[[1, -1, -1, -1], [2, 2, -1, -1]]]
    assert ds.element_spec.shape.as_list() == [None, 4]


def test_unbatch_and_rebatch():
    ds = D.range(10).batch(4)
    assert lists(ds.unbatch()) == list(range(10))
    assert ds.unbatch().element_spec == tf.TensorSpec([], tf.int64)
    assert lists(ds.rebatch(3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert lists(ds.rebatch([2, 1, 1])) == [[0, 1], [2], [3], [4, 5], [6], [7], [8, 9]]
    assert lists(D.range(8).batch(4).rebatch([2, 1, 1], drop_remainder=True)) == \
        [[0, 1], [2], [3], [4, 5], [6], [7]]


def test_window_with_flat_map_matches_tf_example():
    ds = D.range(7).window(3, shift=2, stride=1, drop_remainder=True)
    assert lists(ds.flat_map(lambda w: w.batch(3))) == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert len(ds) == 3
    partial = D.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3))
    assert lists(partial) == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    strided = D.range(7).window(2, shift=1, stride=2, drop_remainder=True)
    assert lists(strided.flat_map(lambda w: w.batch(2)))[:3] == [[0, 2], [1, 3], [2, 4]]


def test_window_of_tuples_gives_a_tuple_of_datasets():
    ds = D.from_tensor_slices((np.arange(4), np.arange(4) * 10)).window(2)
    out = ds.flat_map(lambda a, b: D.zip((a.batch(2), b.batch(2))))
    got = [(x.tolist(), y.tolist()) for x, y in out.as_numpy_iterator()]
    assert got == [([0, 1], [0, 10]), ([2, 3], [20, 30])]


def test_flat_map_concatenates_the_returned_datasets():
    ds = D.range(3).flat_map(lambda x: D.from_tensors(x).repeat(x))
    assert lists(ds) == [1, 2, 2]


def test_interleave_matches_tf_documented_order():
    ds = D.range(1, 6).interleave(lambda x: D.from_tensors(x).repeat(6), cycle_length=2,
                                  block_length=4)
    assert lists(ds) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3,
                         4, 4, 5, 5, 5, 5, 5, 5]


def test_interleave_with_parallel_calls_keeps_the_deterministic_order():
    f = lambda x: D.range(x * 10, x * 10 + 3)
    serial = lists(D.range(4).interleave(f, cycle_length=2))
    parallel = lists(D.range(4).interleave(f, cycle_length=2, num_parallel_calls=2))
    assert serial == parallel == [0, 10, 1, 11, 2, 12, 20, 30, 21, 31, 22, 32]


def test_group_by_window_groups_by_key_and_flushes_partial_windows():
    ds = D.range(10).group_by_window(key_func=lambda x: x % 2,
                                     reduce_func=lambda k, w: w.batch(3), window_size=3)
    assert lists(ds) == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY


def test_group_by_window_key_must_be_int64():
    with pytest.raises(ValueError, match="int64"):
        D.range(3).group_by_window(lambda x: tf.cast(x, tf.int32), lambda k, w: w,
                                   window_size=2)


def test_bucket_by_sequence_length_pads_within_buckets():
    seqs = [[1], [2, 2], [3, 3, 3], [4], [5, 5, 5, 5], [6, 6]]
    ds = D.from_generator(lambda: iter(seqs), output_signature=tf.TensorSpec([None], tf.int32))
    out = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], bucket_boundaries=[2, 4],
                                       bucket_batch_sizes=[2, 2, 2])
    got = lists(out)
    assert [[1], [4]] in got and [[2, 2, 0], [3, 3, 3]] in got
    assert [[2, 2, 0], [3, 3, 3]] in got and [[5, 5, 5, 5]] in got
    total = sorted(v for batch in got for row in batch for v in row if v)
    assert total == sorted(v for s in seqs for v in s)
