"""tf.ragged / tf.RaggedTensor, eagerly; expected values are what TF 2.21 prints for the same
calls (run on this machine with the peers venv)."""
import numpy as np
import pytest

import autograph_jit as tf


def rt3():
    return tf.ragged.constant([[1, 2], [3], []])


def test_constant_infers_ragged_rank_dtype_and_shape_as_tf():
    rt = rt3()
    assert repr(rt) == "<tf.RaggedTensor [[1, 2], [3], []]>"
    assert rt.shape.as_list() == [3, None]
    assert rt.dtype == tf.int32 and rt.row_splits.dtype == tf.int64 and rt.ragged_rank == 1
    r3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert r3.ragged_rank == 2 and r3.shape.as_list() == [2, None, None]


def test_constant_with_ragged_rank_keeps_uniform_inner_values():
    r = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert r.shape.as_list() == [2, None, 2] and r.values.shape.as_list() == [3, 2]
    assert r.to_list() == [[[1, 2], [3, 4]], [[5, 6]]]


def test_constant_refuses_scalars_at_different_depths_with_tfs_message():
    with pytest.raises(ValueError, match="same nesting depth"):
        tf.ragged.constant([[1, [2]], [3]])


def test_empty_rows_only_give_float32_as_tf():
    r = tf.ragged.constant([[], []])
    assert r.dtype == tf.float32 and r.row_lengths().numpy().tolist() == [0, 0]


def test_to_tensor_pads_with_zero_or_default_and_cuts_to_shape():
    np.testing.assert_array_equal(rt3().to_tensor().numpy(), [[1, 2], [3, 0], [0, 0]])
    np.testing.assert_array_equal(rt3().to_tensor(default_value=-1, shape=[4, 3]).numpy(),
                                  [[1, 2, -1], [3, -1, -1], [-1, -1, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(rt3().to_tensor(shape=[2, 1]).numpy(), [[1], [3]])


def test_row_partition_accessors_match_tf():
    rt = rt3()
    assert rt.row_lengths().numpy().tolist() == [2, 1, 0]
    assert int(rt.nrows()) == 3
    assert rt.value_rowids().numpy().tolist() == [0, 0, 1]
    assert rt.bounding_shape().numpy().tolist() == [3, 2]
    assert rt.row_starts().numpy().tolist() == [0, 2, 3]
    assert rt.row_limits().numpy().tolist() == [2, 3, 3]
    r3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert r3.row_lengths(axis=2).to_list() == [[2, 1], [1]]


def test_numpy_is_an_object_array_of_rows_as_tf():
    got = rt3().numpy()
    assert got.dtype == object and [r.tolist() for r in got] == [[1, 2], [3], []]
    assert got[0].dtype == np.int32


def test_elementwise_ops_and_operators_run_on_the_flat_values():
    rt = rt3()
    assert (rt + 1).to_list() == [[2, 3], [4], []]
    assert (rt * rt).to_list() == [[1, 4], [9], []]
    assert (1 - rt).to_list() == [[0, -1], [-2], []]
    assert (-rt).to_list() == [[-1, -2], [-3], []]
    assert (rt == 1).to_list() == [[True, False], [False], []]
    e = tf.math.exp(tf.cast(rt, tf.float32))
    np.testing.assert_allclose(e.flat_values.numpy(), np.exp([1.0, 2.0, 3.0]), rtol=1e-6)
    assert tf.nn.relu(tf.ragged.constant([[-1.0, 2.0], [-3.0]])).to_list() == [[0.0, 2.0], [0.0]]
    assert tf.add(rt, rt).to_list() == [[2, 4], [6], []]


def test_a_dense_column_broadcasts_along_each_row_as_tf():
    got = rt3() + tf.constant([[10], [20], [30]])
    assert got.to_list() == [[11, 12], [23], []]


def test_ragged_operands_with_different_rows_raise_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="row partitions"):
        rt3() + tf.ragged.constant([[1], [2, 3], []])


def test_dtype_rules_are_the_dense_ops():
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError)):
        tf.add(rt3(), tf.ragged.constant([[1.0, 2.0], [3.0], []]))


def test_reductions_over_each_axis_match_tf():
    rt = rt3()
    assert tf.reduce_sum(rt, axis=1).numpy().tolist() == [3, 3, 0]
    assert tf.reduce_sum(rt, axis=0).numpy().tolist() == [4, 2]
    assert int(tf.reduce_sum(rt)) == 6
    assert tf.reduce_mean(tf.ragged.constant([[1., 2.], [3.]]), axis=0).numpy().tolist() == \
        [2.0, 2.0]
    assert tf.reduce_max(rt, axis=1).numpy().tolist() == [2, 3, np.iinfo(np.int32).min]
    assert tf.math.reduce_min(rt, axis=-1).numpy().tolist() == [1, 3, np.iinfo(np.int32).max]
    r3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert tf.reduce_sum(r3, axis=2).to_list() == [[3, 3], [4]]
    assert tf.reduce_sum(r3, axis=1).to_list() == [[4, 2], [4]]


def test_indexing_rows_slices_and_elements():
    rt = rt3()
    np.testing.assert_array_equal(rt[0].numpy(), [1, 2])
    assert rt[1:].to_list() == [[3], []]
    assert int(rt[0, 1]) == 2
    assert rt[-1].numpy().tolist() == []
    assert [r.numpy().tolist() for r in rt] == [[1, 2], [3], []]
    with pytest.raises(tf.errors.InvalidArgumentError):
        rt[3]


def test_factories_build_the_same_rows_as_tf():
    assert tf.RaggedTensor.from_row_lengths([1, 2, 3, 4], [2, 0, 2]).to_list() == \
        [[1, 2], [], [3, 4]]
    assert tf.RaggedTensor.from_row_splits([1, 2, 3, 4], [0, 2, 2, 4]).to_list() == \
        [[1, 2], [], [3, 4]]
    assert tf.RaggedTensor.from_value_rowids([1, 2, 3], [0, 0, 2], nrows=4).to_list() == \
        [[1, 2], [], [3], []]
    assert tf.RaggedTensor.from_tensor(tf.constant([[1, 2, 0], [3, 0, 0]]),
                                       padding=0).to_list() == [[1, 2], [3]]
    assert tf.RaggedTensor.from_tensor(tf.constant([[1, 2, 0], [3, 0, 0]]),
                                       lengths=[1, 3]).to_list() == [[1], [3, 0, 0]]


def test_from_row_splits_validates_like_tf():
    with pytest.raises(ValueError, match="first element of row_splits must be zero"):
        tf.RaggedTensor.from_row_splits([1, 2], [1, 2])
    with pytest.raises(ValueError, match="ascending"):
        tf.RaggedTensor.from_row_splits([1, 2], [0, 2, 1, 2])
    with pytest.raises(ValueError, match="must equal the number of values"):
        tf.RaggedTensor.from_row_splits([1, 2, 3], [0, 2])


def test_map_flat_values_range_and_stack():
    assert tf.ragged.map_flat_values(tf.ones_like, rt3()).to_list() == [[1, 1], [1], []]
    assert tf.ragged.range([3, 1]).to_list() == [[0, 1, 2], [0]]
    assert tf.ragged.stack([tf.ragged.constant([[1], [2, 3]]),
                            tf.constant([[4, 5]])]).to_list() == [[[1], [2, 3]], [[4, 5]]]
    assert tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]).numpy().tolist() == [0, 0, 2]
    assert tf.ragged.segment_ids_to_row_splits([0, 0, 2]).numpy().tolist() == [0, 2, 2, 3]


def test_merge_dims_flattens_ragged_dimensions():
    r3 = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert r3.merge_dims(0, 1).to_list() == [[1, 2], [3], [4]]
    assert r3.merge_dims(1, 2).to_list() == [[1, 2, 3], [4]]
    r = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert r.merge_dims(1, 2).to_list() == [[1, 2, 3, 4], [5, 6]]


def test_a_ragged_tensor_never_converts_to_dense_silently():
    with pytest.raises(TypeError, match="to_tensor"):
        tf.convert_to_tensor(rt3())
    with pytest.raises(TypeError, match="to_tensor"):
        tf.matmul(rt3(), rt3())
    with pytest.raises(TypeError):
        bool(rt3())


def test_a_ragged_tensor_passed_to_tf_function_raises_a_clear_type_error():
    @tf.function
    def f(x):
        return x + 1
    with pytest.raises(TypeError, match="RaggedTensor"):
        f(rt3())
