"""tf.data sources: element order, element_spec (dtypes and shapes as TF), cardinality."""
import collections

import numpy as np
import pytest

import autograph_jit as tf

D = tf.data.Dataset


def values(ds):
    return [np.asarray(v).tolist() if not isinstance(v, (tuple, dict)) else v
            for v in ds.as_numpy_iterator()]


def test_from_tensor_slices_tuple_of_numpy_ints_keeps_int64_and_slices_rows():
    ds = D.from_tensor_slices((np.array([1, 2, 3]), np.array([4, 5, 6])))
    assert ds.element_spec == (tf.TensorSpec([], tf.int64), tf.TensorSpec([], tf.int64))
    pairs = [(int(x), int(y)) for x, y in ds]
    assert pairs == [(1, 4), (2, 5), (3, 6)]
    assert len(ds) == 3 and int(ds.cardinality()) == 3


def test_from_tensor_slices_python_lists_use_tf_conversion_dtypes():
    assert D.from_tensor_slices([1, 2]).element_spec.dtype == tf.int32
    assert D.from_tensor_slices([1.0, 2.0]).element_spec.dtype == tf.float32
    assert D.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]]).element_spec.shape == [2]


def test_from_tensor_slices_dict_and_nested_structure_round_trip():
    ds = D.from_tensor_slices({"a": [1, 2], "b": ([1.0, 2.0], np.zeros((2, 3)))})
    spec = ds.element_spec
    assert set(spec) == {"a", "b"}
    assert spec["b"][1] == tf.TensorSpec([3], tf.float64)
    first = next(iter(ds))
    assert int(first["a"]) == 1 and float(first["b"][0]) == 1.0
    assert first["b"][1].shape == (3,)


def test_from_tensor_slices_namedtuple_stays_namedtuple():
    Point = collections.namedtuple("Point", "x y")
    ds = D.from_tensor_slices(Point([1, 2], [3, 4]))
    p = next(iter(ds))
    assert isinstance(p, Point) and int(p.y) == 3


def test_from_tensor_slices_mismatched_first_dims_is_an_error():
    with pytest.raises(ValueError, match="Dimensions 3 and 2"):
        D.from_tensor_slices((np.zeros(3), np.zeros(2)))


def test_from_tensor_slices_scalar_is_an_error():
    with pytest.raises(ValueError, match="rank >= 1"):
        D.from_tensor_slices(3)


def test_from_tensors_is_one_element_with_the_full_shape():
    ds = D.from_tensors(np.arange(6).reshape(2, 3))
    assert ds.element_spec.shape == [2, 3] and len(ds) == 1
    assert values(ds) == [[[0, 1, 2], [3, 4, 5]]]


def test_range_matches_python_range_and_is_int64():
    assert values(D.range(5)) == [0, 1, 2, 3, 4]
    assert values(D.range(2, 5)) == [2, 3, 4]
    assert values(D.range(1, 10, 3)) == [1, 4, 7]
    assert values(D.range(5, 1, -2)) == [5, 3]
    assert D.range(3).element_spec == tf.TensorSpec([], tf.int64)
    assert D.range(3, output_type=tf.int32).element_spec.dtype == tf.int32
    assert len(D.range(1, 10, 3)) == 3


def test_from_generator_with_output_signature_converts_and_checks():
    def gen():
        for i in range(3):
            yield i, [i, i + 1]
    ds = D.from_generator(gen, output_signature=(tf.TensorSpec([], tf.int64),
                                                 tf.TensorSpec([2], tf.float32)))
    out = list(ds)
    assert out[2][0].dtype == tf.int64 and out[2][1].numpy().tolist() == [2.0, 3.0]
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert len(list(ds)) == 3  # the generator is called afresh on each iteration


def test_from_generator_legacy_types_and_shapes():
    def gen():
        yield [1, 2, 3]
        yield [4]
    ds = D.from_generator(gen, output_types=tf.int32, output_shapes=[None])
    assert ds.element_spec == tf.TensorSpec([None], tf.int32)
    assert values(ds) == [[1, 2, 3], [4]]


def test_from_generator_args_are_passed_as_numpy_values():
    def gen(n, word):
        assert isinstance(word, bytes)
        for i in range(int(n)):
            yield i
    ds = D.from_generator(gen, args=(3, "x"), output_signature=tf.TensorSpec([], tf.int32))
    assert values(ds) == [0, 1, 2]


def test_from_generator_wrong_shape_names_element_index_and_spec():
    def gen():
        yield [1, 2]
        yield [1, 2, 3]
    ds = D.from_generator(gen, output_signature=tf.TensorSpec([2], tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \(3,\).*element 1, spec TensorSpec\(shape=\(2,\)"):
        list(ds)


def test_from_generator_wrong_dtype_names_element_index():
    def gen():
        yield np.float64(1.0)
    ds = D.from_generator(gen, output_signature=tf.TensorSpec([], tf.int32))
    with pytest.raises(TypeError, match="element 0"):
        list(ds)


def test_from_generator_wrong_structure_names_element_index():
    def gen():
        yield 1
    ds = D.from_generator(gen, output_signature=(tf.TensorSpec([], tf.int32),
                                                 tf.TensorSpec([], tf.int32)))
    with pytest.raises(TypeError, match="element 0"):
        list(ds)


def test_zip_stops_at_shortest_and_nests_like_its_argument():
    ds = D.zip((D.range(3), D.range(10, 20)))
    assert values(ds) == [(0, 10), (1, 11), (2, 12)]
    assert len(ds) == 3
    nested = D.zip((D.range(2), (D.range(2), D.range(5, 7))))
    a, (b, c) = next(iter(nested))
    assert int(c) == 5
    assert D.zip(D.range(2), D.range(2)).element_spec[1].dtype == tf.int64
    named = D.zip(datasets={"a": D.range(2), "b": D.range(5, 7)})
    assert [(int(e["a"]), int(e["b"])) for e in named] == [(0, 5), (1, 6)]


def test_concatenate_appends_and_relaxes_shapes():
    a = D.from_tensors(np.zeros(2))
    b = D.from_tensors(np.zeros(3))
    ds = a.concatenate(b)
    assert ds.element_spec.shape.as_list() == [None]
    assert values(D.range(2).concatenate(D.range(5, 7))) == [0, 1, 5, 6]
    assert len(D.range(2).concatenate(D.range(3))) == 5


def test_concatenate_incompatible_dtypes_is_a_type_error():
    with pytest.raises(TypeError, match="Incompatible"):
        D.range(2).concatenate(D.from_tensor_slices([1.0]))


def test_string_elements_print_like_tf():
    ds = D.from_tensor_slices(["ab", "c"])
    assert ds.element_spec == tf.TensorSpec([], tf.string)
    first = next(iter(ds))
    assert str(first) == "tf.Tensor(b'ab', shape=(), dtype=string)"
    assert first.numpy() == b"ab"
    assert list(ds.as_numpy_iterator()) == [b"ab", b"c"]


def test_sample_and_choose_from_datasets():
    ds = D.choose_from_datasets([D.from_tensors(0).repeat(), D.from_tensors(1).repeat()],
                                D.from_tensor_slices(np.array([0, 1, 1, 0], np.int64)))
    assert values(ds) == [0, 1, 1, 0]
    mixed = D.sample_from_datasets([D.range(5), D.range(10, 15)], seed=3)
    got = values(mixed)
    assert sorted(got) == list(range(5)) + list(range(10, 15))
    assert got == values(D.sample_from_datasets([D.range(5), D.range(10, 15)], seed=3))
