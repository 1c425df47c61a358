"""DType and TensorShape behave as TF2's: conversion, equality, printing, shape algebra."""
import numpy as np
import pytest

import autograph_jit as tf

# -- DType -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,dtype", [
    ("float16", tf.float16), ("half", tf.float16), ("float32", tf.float32),
    ("float64", tf.float64), ("double", tf.float64), ("int8", tf.int8), ("int16", tf.int16),
    ("int32", tf.int32), ("int64", tf.int64), ("uint8", tf.uint8), ("bool", tf.bool)])
def test_as_dtype_accepts_tf_names(name, dtype):
    assert tf.as_dtype(name) is dtype


@pytest.mark.parametrize("np_type,dtype", [
    (np.float16, tf.float16), (np.float32, tf.float32), (np.float64, tf.float64),
    (np.int8, tf.int8), (np.int16, tf.int16), (np.int32, tf.int32), (np.int64, tf.int64),
    (np.uint8, tf.uint8), (np.bool_, tf.bool)])
def test_as_dtype_accepts_numpy_types_and_dtypes(np_type, dtype):
    assert tf.as_dtype(np_type) is dtype
    assert tf.as_dtype(np.dtype(np_type)) is dtype
    assert dtype.as_numpy_dtype is np_type


def test_as_dtype_of_a_dtype_is_itself():
    assert tf.as_dtype(tf.float32) is tf.float32


def test_as_dtype_of_python_float_and_bool():
    assert tf.as_dtype(float) is tf.float32
    assert tf.as_dtype(bool) is tf.bool


def test_as_dtype_of_python_int_is_int64():
    assert tf.as_dtype(int) is tf.int64


@pytest.mark.parametrize("bad", ["float128x", "complex256", object()])
def test_as_dtype_rejects_unknown_types_with_type_error(bad):
    with pytest.raises(TypeError):
        tf.as_dtype(bad)


def test_dtype_equals_its_numpy_twin_and_name():
    assert tf.int64 == np.int64
    assert tf.float64 == np.float64
    assert tf.float32 == np.dtype("float32")
    assert tf.float32 == "float32"
    assert tf.double == tf.float64


def test_dtype_differs_from_other_numpy_types():
    assert tf.float32 != np.float64
    assert not (tf.int32 == np.int64)
    assert tf.float32 != tf.float64
    assert tf.float32 != "not a dtype"
    assert tf.float32 != None  # noqa: E711 - TF compares with None without raising


def test_dtype_str_and_repr_match_tf():
    assert str(tf.float32) == "<dtype: 'float32'>"
    assert repr(tf.float32) == "tf.float32"
    assert repr(tf.bool) == "tf.bool"
    assert tf.int64.name == "int64"


def test_dtypes_are_hashable_dict_keys():
    table = {tf.float32: "f", tf.int32: "i"}
    assert table[tf.as_dtype("float32")] == "f"
    assert len({tf.float64, tf.double}) == 1


def test_dtype_properties():
    assert tf.float16.is_floating and not tf.float16.is_integer
    assert tf.int8.is_integer and not tf.int8.is_floating
    assert tf.uint8.is_unsigned and not tf.int8.is_unsigned
    assert tf.bool.is_bool and not tf.bool.is_integer and not tf.bool.is_floating
    assert tf.int32.min == -2 ** 31 and tf.int32.max == 2 ** 31 - 1
    assert tf.uint8.max == 255
    assert tf.float32.max == np.finfo(np.float32).max
    assert tf.float64.size == 8 and tf.int16.size == 2


# -- TensorShape -------------------------------------------------------------------------------


def test_tensor_shape_str_and_repr_match_tf():
    assert str(tf.TensorShape([2, 3])) == "(2, 3)"
    assert str(tf.TensorShape([5])) == "(5,)"
    assert str(tf.TensorShape([])) == "()"
    assert str(tf.TensorShape([None, 3])) == "(None, 3)"
    assert str(tf.TensorShape(None)) == "<unknown>"
    assert repr(tf.TensorShape([None, 3])) == "TensorShape([None, 3])"
    assert repr(tf.TensorShape([])) == "TensorShape([])"
    assert repr(tf.TensorShape(None)) == "TensorShape(None)"


def test_tensor_shape_as_list_rank_and_dims():
    s = tf.TensorShape([None, 3, 4])
    assert s.as_list() == [None, 3, 4]
    assert s.rank == 3 and s.ndims == 3
    assert len(s) == 3
    assert list(s) == [None, 3, 4]
    assert s[0] is None and s[1] == 3 and isinstance(s[1], int)
    assert s[1:] == tf.TensorShape([3, 4]) and isinstance(s[1:], tf.TensorShape)
    assert s[-1] == 4


def test_unknown_rank_shape():
    s = tf.TensorShape(None)
    assert s.rank is None
    assert s.dims is None
    assert not s.is_fully_defined()
    with pytest.raises(ValueError):
        s.as_list()
    with pytest.raises(ValueError):
        len(s)


def test_fully_defined_and_num_elements():
    assert tf.TensorShape([2, 3]).is_fully_defined()
    assert tf.TensorShape([2, 3]).num_elements() == 6
    assert tf.TensorShape([]).num_elements() == 1
    assert tf.TensorShape([2, 0]).num_elements() == 0
    assert not tf.TensorShape([None, 3]).is_fully_defined()
    assert tf.TensorShape([None, 3]).num_elements() is None


def test_tensor_shape_equality_with_shapes_lists_and_tuples():
    assert tf.TensorShape([2, 3]) == tf.TensorShape([2, 3])
    assert tf.TensorShape([2, 3]) == [2, 3]
    assert tf.TensorShape([2, 3]) == (2, 3)
    assert tf.TensorShape([2, 3]) != [3, 2]
    assert tf.TensorShape([2, 3]) != [2, 3, 1]
    assert tf.TensorShape([None, 3]) == tf.TensorShape([None, 3])
    assert tf.TensorShape([None, 3]) != tf.TensorShape([2, 3])


def test_tensor_shape_is_hashable():
    assert len({tf.TensorShape([2, 3]), tf.TensorShape((2, 3))}) == 1


def test_compatibility_treats_none_as_any():
    s = tf.TensorShape([None, 3])
    assert s.is_compatible_with([5, 3])
    assert s.is_compatible_with(tf.TensorShape([None, None]))
    assert not s.is_compatible_with([5, 4])
    assert not s.is_compatible_with([5, 3, 1])
    assert tf.TensorShape(None).is_compatible_with([1, 2, 3])
    assert s.is_compatible_with(tf.TensorShape(None))


def test_merge_with_fills_unknown_dims():
    assert tf.TensorShape([None, 3]).merge_with([2, None]) == [2, 3]
    assert tf.TensorShape(None).merge_with([2, 3]) == [2, 3]
    assert tf.TensorShape([2, 3]).merge_with(tf.TensorShape(None)) == [2, 3]


def test_merge_with_incompatible_raises_value_error():
    with pytest.raises(ValueError):
        tf.TensorShape([2, 3]).merge_with([2, 4])
    with pytest.raises(ValueError):
        tf.TensorShape([2, 3]).merge_with([2])


def test_concatenate_and_with_rank():
    assert tf.TensorShape([2]).concatenate([3, None]) == tf.TensorShape([2, 3, None])
    assert tf.TensorShape([2]).concatenate(tf.TensorShape(None)).rank is None
    assert tf.TensorShape(None).with_rank(2) == tf.TensorShape([None, None])
    with pytest.raises(ValueError):
        tf.TensorShape([2]).with_rank(2)


def test_most_specific_compatible_shape_relaxes_differing_dims():
    a, b = tf.TensorShape([2, 3]), tf.TensorShape([4, 3])
    assert a.most_specific_compatible_shape(b) == tf.TensorShape([None, 3])
    assert a.most_specific_compatible_shape([2]).rank is None


def test_tensor_shape_from_tensor_attribute():
    t = tf.constant([[1.0, 2.0, 3.0]])
    assert isinstance(t.shape, tf.TensorShape)
    assert t.shape == (1, 3)
    assert t.shape.as_list() == [1, 3]
    assert t.get_shape() == t.shape
    assert t.ndim == 2


# TF 2.21's DType.as_datatype_enum (types.proto numbers)
_TF_DATATYPE_ENUMS = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
                      "string": 7, "complex64": 8, "int64": 9, "bool": 10, "complex128": 18,
                      "float16": 19}


@pytest.mark.parametrize("name", sorted(_TF_DATATYPE_ENUMS))
def test_as_datatype_enum_is_tfs_number_and_as_dtype_reads_it_back(name):
    dtype = tf.as_dtype(name)
    assert dtype.as_datatype_enum == _TF_DATATYPE_ENUMS[name]
    assert tf.as_dtype(dtype.as_datatype_enum) is dtype


def test_as_dtype_of_an_unsupported_datatype_enum_names_it():
    with pytest.raises(TypeError, match="DT_BFLOAT16"):
        tf.as_dtype(14)
