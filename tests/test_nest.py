"""tf.nest behaves as TF2's: lists, tuples, namedtuples and dicts (by sorted key) are structures;
everything else (None, strings, arrays, tensors) is a leaf."""
import collections

import numpy as np
import pytest

import autograph_jit as tf

Point = collections.namedtuple("Point", ["x", "y"])


def test_flatten_walks_depth_first():
    assert tf.nest.flatten([1, (2, [3, 4]), [[5]]]) == [1, 2, 3, 4, 5]


def test_flatten_orders_dicts_by_sorted_key():
    assert tf.nest.flatten({"b": 1, "a": 2, "c": [3, 4]}) == [2, 1, 3, 4]


def test_flatten_treats_none_strings_arrays_and_tensors_as_leaves():
    arr = np.zeros(3)
    t = tf.constant([1.0, 2.0])
    flat = tf.nest.flatten([None, "abc", arr, t])
    assert flat[0] is None and flat[1] == "abc" and flat[2] is arr and flat[3] is t
    assert tf.nest.flatten(None) == [None]
    assert tf.nest.flatten("abc") == ["abc"]


def test_flatten_of_a_leaf_is_a_one_element_list():
    assert tf.nest.flatten(5) == [5]


def test_flatten_of_empty_structures():
    assert tf.nest.flatten([]) == []
    assert tf.nest.flatten({"a": [], "b": ()}) == []


def test_namedtuples_are_structures():
    assert tf.nest.flatten(Point(1, [2, 3])) == [1, 2, 3]
    packed = tf.nest.pack_sequence_as(Point(0, [0, 0]), [7, 8, 9])
    assert isinstance(packed, Point) and packed == Point(7, [8, 9])


def test_pack_sequence_as_round_trips():
    structure = {"b": [1, (2, 3)], "a": 4, "c": None}
    flat = tf.nest.flatten(structure)
    assert tf.nest.pack_sequence_as(structure, flat) == structure


def test_pack_sequence_as_fills_dicts_by_sorted_key_and_keeps_types():
    packed = tf.nest.pack_sequence_as({"b": 0, "a": (0, 0)}, [1, 2, 3])
    assert packed == {"a": (1, 2), "b": 3}
    assert isinstance(packed["a"], tuple)
    assert tf.nest.pack_sequence_as(0, [9]) == 9


def test_pack_sequence_as_with_wrong_count_raises_value_error():
    with pytest.raises(ValueError):
        tf.nest.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(ValueError):
        tf.nest.pack_sequence_as(0, [1, 2])


def test_map_structure_keeps_structure():
    out = tf.nest.map_structure(lambda v: v * 10, {"b": 1, "a": [2, (3,)]})
    assert out == {"b": 10, "a": [20, (30,)]}


def test_map_structure_over_several_structures():
    out = tf.nest.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)])
    assert out == [11, (22, 33)]


def test_map_structure_over_tensors():
    out = tf.nest.map_structure(lambda t: t * 2, {"x": tf.constant(1.0), "y": [tf.constant(2)]})
    assert out["x"].numpy() == 2.0 and out["y"][0].numpy() == 4


def test_map_structure_rejects_different_structures():
    with pytest.raises(ValueError):
        tf.nest.map_structure(lambda a, b: a, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        tf.nest.map_structure(lambda a, b: a, {"a": 1}, {"b": 1})


@pytest.mark.xfail(strict=True, reason="TF's map_structure has check_types=True by default: a "
                                       "list and a tuple are different structures (TypeError); "
                                       "nest.map_structure passes check_types=False")
def test_map_structure_rejects_list_vs_tuple():
    with pytest.raises(TypeError):
        tf.nest.map_structure(lambda a, b: a, [1, 2], (1, 2))


def test_map_structure_needs_a_structure():
    with pytest.raises(ValueError):
        tf.nest.map_structure(lambda: 1)


def test_assert_same_structure_accepts_same_shapes_of_nesting():
    tf.nest.assert_same_structure([1, (2, {"a": 3})], ["x", ("y", {"a": None})])


def test_assert_same_structure_rejects_different_nesting_or_lengths():
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, 2], [1])
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, [2]], [1, 2])
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})


def test_assert_same_structure_checks_sequence_types():
    with pytest.raises(TypeError):
        tf.nest.assert_same_structure([1, 2], (1, 2))
    tf.nest.assert_same_structure([1, 2], (1, 2), check_types=False)


def test_is_nested():
    assert tf.nest.is_nested([]) and tf.nest.is_nested(()) and tf.nest.is_nested({})
    assert tf.nest.is_nested(Point(1, 2))
    assert not tf.nest.is_nested(1)
    assert not tf.nest.is_nested("abc")
    assert not tf.nest.is_nested(None)
    assert not tf.nest.is_nested(np.zeros(2))
    assert not tf.nest.is_nested(tf.constant([1, 2]))


def test_packing_makes_no_reference_cycle_so_leaves_are_freed_at_once():
    import gc
    import weakref

    class Leaf:
        pass

    leaf = Leaf()
    ref = weakref.ref(leaf)
    gc.disable()
    try:
        packed = tf.nest.pack_sequence_as({"a": [0, (0, 0)]}, [1, leaf, 2])
        assert packed["a"][1][0] is leaf
        del packed, leaf
        assert ref() is None
    finally:
        gc.enable()
