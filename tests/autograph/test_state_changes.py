"""State a converted statement changes besides plain local names: attributes (`self.acc`),
variables rebound by nested functions (`nonlocal`), items of lists, and the values AutoGraph
cannot carry (attributes set through a call), each compared with running eagerly."""
import pytest

import autograph_jit as tf

from .helpers import check_backends


class Box:
    def __init__(self, value):
        self.acc = value

    def add(self, v):
        self.acc = self.acc + v


def test_attribute_assigned_in_graph_loop_body_is_carried_like_eager():
    def f(x):
        box = Box(tf.constant(0.0))
        for i in tf.range(4):
            box.acc = box.acc + x * tf.cast(i, tf.float32)
        return box.acc
    check_backends(f, tf.constant(2.0))


def test_attribute_of_self_updated_in_a_method_while_loop_matches_eager():
    class Counter(tf.Module):
        def __init__(self):
            super().__init__()
            self.total = tf.constant(0)

        def run(self, n):
            i = 0
            while i < n:
                self.total += i
                i += 1
            return self.total
    check_backends(lambda n: Counter().run(n), tf.constant(5))


def test_attribute_assigned_in_both_branches_of_tensor_if_matches_eager():
    def f(x):
        box = Box(x)
        if x > 0:
            box.acc = box.acc * 2.0
        else:
            box.acc = -box.acc
        return box.acc
    for v in (3.0, -3.0):
        check_backends(f, tf.constant(v))


def test_attribute_created_in_one_branch_only_is_named_with_its_path():
    def f(x):
        box = Box(x)
        if x > 0:
            box.extra = x
        return box.extra
    with pytest.raises(ValueError, match="'box.extra' is assigned only in the if branch"):
        tf.function(f)(tf.constant(1.0))


def test_nonlocal_rebound_by_a_nested_function_called_in_graph_loop_matches_eager():
    def f(x):
        total = tf.constant(0.0)

        def bump(v):
            nonlocal total
            total += v
        for i in tf.range(3):
            bump(x)
        return total
    check_backends(f, tf.constant(1.5))


def test_nonlocal_python_counter_bumped_in_tensor_if_matches_eager():
    def f(x):
        calls = 0

        def bump():
            nonlocal calls
            calls += 1
        if x > 0:
            bump()
        return x * 10.0 + tf.cast(calls, tf.float32)
    for v in (2.0, -2.0):
        check_backends(f, tf.constant(v))


def test_attribute_set_through_a_method_call_in_graph_loop_is_carried_like_eager():
    def f(x):
        box = Box(tf.constant(0.0))
        for i in tf.range(3):
            box.add(x)
        return box.acc
    check_backends(f, tf.constant(1.5))


def test_attribute_set_through_a_method_call_in_tensor_if_matches_eager():
    def f(x):
        box = Box(tf.constant(1.0))
        if x > 0:
            box.add(x)
        else:
            box.add(-x * 2.0)
        return box.acc
    for v in (2.0, -2.0):
        check_backends(f, tf.constant(v))


def test_attribute_created_through_a_call_in_one_branch_only_is_named():
    def f(x):
        box = Box(x)
        if x > 0:
            box.add_extra(x)
        return box.acc

    def add_extra(self, v):
        self.extra = v
    Box.add_extra = add_extra
    try:
        with pytest.raises(ValueError, match="'box.extra' is assigned only in the if branch"):
            tf.function(f)(tf.constant(1.0))
    finally:
        del Box.add_extra


def test_attribute_a_call_sets_only_after_the_throwaway_trace_is_a_located_error():
    calls = []

    class Late:
        def __init__(self):
            self.acc = tf.constant(0.0)

        def add(self, v):
            calls.append(v)
            if len(calls) > 1:  # differs between the throwaway trace and the real one
                self.acc = self.acc + v

    def f(x):
        late = Late()
        for i in tf.range(3):
            late.add(x)
        return late.acc
    with pytest.raises(ValueError, match=r"'late.acc' is set to a tensor by a call inside the "
                                         r"body of this graph loop") as info:
        tf.function(f)(tf.constant(1.0))
    assert "test_state_changes.py" in str(info.value)


def test_method_call_that_changes_nothing_in_graph_loop_is_fine():
    def f(x):
        box = Box(tf.constant(2.0))
        s = tf.constant(0.0)
        for i in tf.range(3):
            s += box.acc * x
        return s
    check_backends(f, tf.constant(1.0))


def test_python_list_items_replaced_in_graph_loop_match_eager():
    def f(x):
        pair = [x, 0]
        for i in tf.range(3):
            pair[0] = pair[0] * 2.0
            pair[1] = pair[1] + i
        return pair
    check_backends(f, tf.constant(1.0))


def test_python_number_in_a_dict_bumped_in_graph_loop_matches_eager():
    def f(x):
        counts = {"k": 0, "scale": 2}
        for i in tf.range(3):
            counts["k"] += 1
        return counts["k"] * counts["scale"] + x
    check_backends(f, tf.constant(1))


def test_dict_holding_a_string_changed_in_graph_loop_is_named():
    def f(x):
        d = {"k": 0, "tag": "a"}
        for i in tf.range(3):
            d["k"] += 1
            d["tag"] = "b"
        return d["k"]
    with pytest.raises(TypeError, match="'d' is changed by the body of this graph loop and "
                                        "holds a Python str"):
        tf.function(f)(tf.constant(1))


_TOTAL = None


def test_global_rebound_in_graph_loop_is_carried_like_a_local():
    def f(x):
        global _TOTAL
        _TOTAL = x * 0.0
        for i in tf.range(3):
            _TOTAL = _TOTAL + x
        return _TOTAL
    check_backends(f, tf.constant(2.0))


def test_nonlocal_variable_set_in_a_tensor_if_of_a_nested_function_reaches_the_outer_one():
    def f(x):
        y = x

        def scale_if_positive():
            nonlocal y
            if y > 0:
                y = y * 10.0
        scale_if_positive()
        return y
    for v in (1.0, -1.0):
        check_backends(f, tf.constant(v))


def test_function_defined_inside_a_graph_loop_reads_this_iterations_values():
    def f(x):
        s = x
        for i in tf.range(3):
            def shifted(v):
                return v + tf.cast(i, tf.float32)
            s = shifted(s)
        return s
    check_backends(f, tf.constant(0.5))


def test_nested_attribute_paths_and_property_setters_in_graph_loop_match_eager():
    class Inner:
        def __init__(self):
            self.v = tf.constant(0.0)

    class Outer:
        def __init__(self):
            self.inner = Inner()
            self._scale = tf.constant(1.0)

        @property
        def scale(self):
            return self._scale

        @scale.setter
        def scale(self, value):
            self._scale = value

    def f(x):
        o = Outer()
        for i in tf.range(3):
            o.inner.v = o.inner.v + x
            o.scale = o.scale * 2.0
        return o.inner.v, o.scale
    check_backends(f, tf.constant(1.5))


def test_attribute_and_plain_variables_keep_their_own_values_in_graph_loop():
    def f(x):
        a = x
        box = Box(x * 10.0)
        z = x * 100.0
        for i in tf.range(2):
            a = a + 1.0
            box.acc = box.acc + 2.0
            z = z + 3.0
        return a, box.acc, z
    check_backends(f, tf.constant(1.0))
