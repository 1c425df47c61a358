"""tf.data transformations against TF's documented semantics."""
import numpy as np
import pytest

import autograph_jit as tf

D = tf.data.Dataset


def values(ds):
    return [np.asarray(v).tolist() if not isinstance(v, (tuple, dict)) else
            tuple(np.asarray(x).tolist() for x in v) if isinstance(v, tuple) else v
            for v in ds.as_numpy_iterator()]


def test_map_unpacks_tuple_elements_and_gives_the_traced_output_spec():
    ds = D.from_tensor_slices(([1, 2], [3.0, 4.0])).map(lambda a, b: tf.cast(a, tf.float32) * b)
    assert ds.element_spec == tf.TensorSpec([], tf.float32)
    assert values(ds) == [3.0, 8.0]


def test_map_passes_dict_elements_as_one_argument():
    ds = D.from_tensor_slices({"x": [1, 2]}).map(lambda d: d["x"] + 1)
    assert values(ds) == [2, 3]


def test_map_function_is_traced_once_not_per_element():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2
    ds = D.range(50).map(f)
    assert values(ds) == [2 * i for i in range(50)]
    assert values(ds) == [2 * i for i in range(50)]
    assert len(calls) <= 2


def test_map_python_constant_output_becomes_a_tensor():
    ds = D.range(2).map(lambda x: (x, 7))
    assert ds.element_spec[1] == tf.TensorSpec([], tf.int32)
    assert values(ds) == [(0, 7), (1, 7)]


def test_map_returning_a_list_gives_a_tuple_of_components_as_tf():
    ds = D.range(2).map(lambda x: [x, x * 2])
    assert isinstance(ds.element_spec, tuple) and len(ds.element_spec) == 2
    assert values(ds) == [(0, 0), (1, 2)]


def test_map_with_python_control_flow_on_tensors_is_converted_by_autograph():
    def f(x):
        if x > 2:
            return x * 10
        return x
    assert values(D.range(5).map(f)) == [0, 1, 2, 30, 40]


@pytest.mark.parametrize("deterministic", [None, True])
def test_parallel_map_keeps_input_order(deterministic):
    ds = D.range(100).map(lambda x: x * x, num_parallel_calls=tf.data.AUTOTUNE,
                          deterministic=deterministic)
    assert values(ds) == [i * i for i in range(100)]


def test_map_returning_none_is_a_clear_error():
    with pytest.raises(TypeError, match="returned None"):
        D.range(3).map(lambda x: None)


def test_filter_keeps_true_elements_and_requires_scalar_bool():
    assert values(D.range(10).filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert int(D.range(10).filter(lambda x: x > 1).cardinality()) == tf.data.UNKNOWN_CARDINALITY
    with pytest.raises(ValueError, match="tf.bool"):
        D.range(3).filter(lambda x: x)


def test_shuffle_is_a_permutation_reproducible_with_seed():
    a = values(D.range(100).shuffle(10, seed=7))
    assert sorted(a) == list(range(100)) and a != list(range(100))
    assert a == values(D.range(100).shuffle(10, seed=7))


def test_shuffle_buffer_limits_how_far_an_element_moves_forward():
    # element i can only be emitted after element i - buffer_size has been read
    for seed in range(5):
        out = values(D.range(200).shuffle(5, seed=seed))
        for pos, v in enumerate(out):
            assert v <= pos + 4


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    ds = D.range(50).shuffle(50, seed=1)
    assert values(ds) != values(ds)
    fixed = D.range(50).shuffle(50, seed=1, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)


def test_shuffle_with_global_seed_is_deterministic_across_programs():
    tf.random.set_seed(5)
    a = values(D.range(30).shuffle(30))
    tf.random.set_seed(5)
    b = values(D.range(30).shuffle(30))
    assert a == b


def test_shuffle_then_repeat_gives_each_epoch_a_new_order():
    out = values(D.range(20).shuffle(20, seed=2).repeat(2))
    assert sorted(out[:20]) == list(range(20)) and sorted(out[20:]) == list(range(20))
    assert out[:20] != out[20:]


def test_repeat_take_skip_and_their_cardinality():
    assert values(D.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert len(D.range(3).repeat(2)) == 6
    assert int(D.range(3).repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    assert values(D.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values(D.range(5).take(-1)) == [0, 1, 2, 3, 4]
    assert values(D.range(5).skip(3)) == [3, 4] and len(D.range(5).skip(9)) == 0
    assert values(D.range(5).skip(-1)) == []
    assert values(D.range(0).repeat()) == []


def test_len_of_infinite_or_unknown_dataset_raises_type_error():
    with pytest.raises(TypeError, match="infinite"):
        len(D.range(2).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(D.range(5).filter(lambda x: x > 2))


def test_shard_takes_every_nth_element_and_checks_index():
    assert values(D.range(10).shard(3, 1)) == [1, 4, 7]
    assert len(D.range(10).shard(3, 0)) == 4 and len(D.range(10).shard(3, 2)) == 3
    with pytest.raises(tf.errors.InvalidArgumentError):
        D.range(10).shard(3, 3)


def test_take_while_stops_at_the_first_false():
    assert values(D.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    assert values(D.from_tensor_slices([1, 5, 2]).take_while(lambda x: x < 3)) == [1]


def test_enumerate_yields_int64_index_pairs():
    ds = D.from_tensor_slices([7, 8]).enumerate(start=3)
    assert values(ds) == [(3, 7), (4, 8)]
    assert ds.element_spec[0].dtype == tf.int64


def test_unique_keeps_first_occurrences_and_rejects_floats():
    assert values(D.from_tensor_slices([1, 3, 1, 2, 3]).unique()) == [1, 3, 2]
    assert list(D.from_tensor_slices(["a", "b", "a"]).unique().as_numpy_iterator()) == \
        [b"a", b"b"]
    with pytest.raises(TypeError, match="unique"):
        D.from_tensor_slices([1.0]).unique()


def test_scan_carries_state_and_outputs_per_element():
    ds = D.range(5).scan(tf.constant(0, tf.int64), lambda s, x: (s + x, s))
    assert values(ds) == [0, 0, 1, 3, 6]


def test_reduce_folds_to_the_final_state():
    total = D.range(5).reduce(np.int64(0), lambda s, x: s + x)
    assert int(total) == 10 and total.dtype == tf.int64
    count, acc = D.from_tensor_slices([1.0, 2.0]).reduce(
        (np.int64(0), np.float32(0)), lambda s, x: (s[0] + 1, s[1] + x))
    assert int(count) == 2 and float(acc) == 3.0


def test_cache_in_memory_replays_the_first_pass():
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)
    ds = D.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64)).cache()
    assert values(ds) == [0, 1, 2] and values(ds) == [0, 1, 2]
    assert len(calls) == 1


def test_cache_to_file_is_reused_by_a_new_pipeline(tmp_path):
    path = str(tmp_path / "cache")
    assert values(D.range(4).map(lambda x: x * 3).cache(path)) == [0, 3, 6, 9]
    assert (tmp_path / "cache.data-00000-of-00001").exists()
    # a second pipeline over the same file reads it (here the source differs on purpose)
    assert values(D.range(4).map(lambda x: x * 3).cache(path).take(2)) == [0, 3]


def test_prefetch_yields_the_same_elements_and_propagates_errors():
    assert values(D.range(20).prefetch(tf.data.AUTOTUNE)) == list(range(20))

    def gen():
        yield 1
        raise RuntimeError("boom in generator")
    ds = D.from_generator(gen, output_signature=tf.TensorSpec([], tf.int32)).prefetch(2)
    with pytest.raises(RuntimeError, match="boom"):
        list(ds)


def test_apply_and_options():
    ds = D.range(4).apply(lambda d: d.map(lambda x: x + 1))
    assert values(ds) == [1, 2, 3, 4]
    opts = tf.data.Options()
    opts.deterministic = False
    ds2 = ds.with_options(opts)
    assert ds2.options().deterministic is False and values(ds2) == [1, 2, 3, 4]
    with pytest.raises(AttributeError):
        opts.no_such_option = 1


def test_iterator_next_and_get_next_at_the_end():
    it = iter(D.range(1))
    assert int(next(it)) == 0
    with pytest.raises(StopIteration):
        next(it)
    it = iter(D.range(1))
    it.get_next()
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()
    opt = iter(D.range(0)).get_next_as_optional()
    assert not bool(opt.has_value())


def test_assert_cardinality_declares_and_checks():
    ds = D.from_generator(lambda: iter(range(3)), output_signature=tf.TensorSpec([], tf.int64))
    declared = ds.apply(tf.data.experimental.assert_cardinality(3))
    assert len(declared) == 3 and values(declared) == [0, 1, 2]
    wrong = ds.apply(tf.data.experimental.assert_cardinality(5))
    with pytest.raises(tf.errors.FailedPreconditionError, match="5 elements"):
        list(wrong)


def test_get_single_element():
    assert int(D.from_tensors(4).get_single_element()) == 4
    with pytest.raises(tf.errors.InvalidArgumentError):
        D.range(2).get_single_element()


def test_eager_iteration_feeds_python_and_numpy():
    total = 0
    for x, y in D.from_tensor_slices((np.ones((4, 2)), np.arange(4))).batch(2):
        total += float(tf.reduce_sum(x)) + int(tf.reduce_sum(y))
    assert total == 8 + 6


def test_repr_names_tf_dataset_classes():
    assert repr(D.range(3)) == \
        "<_RangeDataset element_spec=TensorSpec(shape=(), dtype=tf.int64, name=None)>"
    assert repr(D.range(3).batch(2)).startswith("<_BatchDataset element_spec=")
    assert repr(D.range(3).map(lambda x: x, num_parallel_calls=2)).startswith(
        "<_ParallelMapDataset")


def test_map_lambda_with_a_tensor_conditional_expression_is_converted():
    ds = D.range(5).map(lambda x: x * 10 if x > 2 else x)
    assert values(ds) == [0, 1, 2, 30, 40]


def test_shuffle_order_is_the_same_for_views_and_owned_elements():
    x = np.arange(40, dtype=np.int64).reshape(20, 2)
    from_views = [v.tolist() for v in D.from_tensor_slices(x).shuffle(7, seed=4)
                  .as_numpy_iterator()]
    gen = D.from_generator(lambda: (r.copy() for r in x),
                           output_signature=tf.TensorSpec([2], tf.int64))
    from_owned = [v.tolist() for v in gen.shuffle(7, seed=4).as_numpy_iterator()]
    assert from_views == from_owned and sorted(from_owned) == x.tolist()
