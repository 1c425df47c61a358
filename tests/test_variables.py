"""tf.Variable behaves as TF2's: printing, reads and writes (the read_variable / assign_variable
ops), names under name scopes and modules, trainability, dtype and shape checks."""
import numpy as np
import pytest

import autograph_jit as tf


def test_repr_matches_tf():
    assert repr(tf.Variable(2.0)) == \
        "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=2.0>"
    assert repr(tf.Variable([1, 2], name="v")) == \
        "<tf.Variable 'v:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>"


def test_dtype_inferred_like_constant():
    assert tf.Variable(1).dtype is tf.int32
    assert tf.Variable(1.0).dtype is tf.float32
    assert tf.Variable(np.zeros(3)).dtype is tf.float64
    assert tf.Variable(tf.constant([1.0, 2.0])).dtype is tf.float32


def test_dtype_given_as_string():
    v = tf.Variable(1, dtype="float64")
    assert v.dtype is tf.float64
    assert v.numpy() == 1.0 and isinstance(v.numpy(), np.float64)
    assert tf.Variable(np.zeros(2), dtype=tf.float32).dtype is tf.float32


def test_initial_value_may_be_a_callable():
    v = tf.Variable(lambda: tf.ones([2, 2]))
    assert v.shape == (2, 2) and v.numpy().sum() == 4.0


def test_missing_initial_value_raises_value_error():
    with pytest.raises(ValueError):
        tf.Variable()


def test_read_value_returns_a_tensor_snapshot():
    v = tf.Variable([1.0, 2.0])
    r = v.read_value()
    assert isinstance(r, tf.Tensor) and not isinstance(r, tf.Variable)
    v.assign([5.0, 6.0])
    assert r.numpy().tolist() == [1.0, 2.0]  # the earlier read keeps its value
    assert v.read_value().numpy().tolist() == [5.0, 6.0]


def test_tensor_computed_before_assign_keeps_old_value():
    v = tf.Variable(3.0)
    doubled = v * 2
    v.assign(10.0)
    assert doubled.numpy() == 6.0
    assert (v * 2).numpy() == 20.0


def test_assign_assign_add_assign_sub():
    v = tf.Variable(1.0)
    v.assign(4.0)
    assert v.numpy() == 4.0
    v.assign_add(2.0)
    assert v.numpy() == 6.0
    v.assign_sub(tf.constant(1.5))
    assert v.numpy() == 4.5
    assert v.assign(7).numpy() == 7.0  # a Python int takes the variable's dtype
    assert v.assign_add(1.0, read_value=False) is None
    assert v.numpy() == 8.0


def test_integer_variable_updates():
    v = tf.Variable([1, 2, 3])
    v.assign_add([1, 1, 1])
    v.assign_sub(tf.constant([2, 0, 1]))
    assert v.numpy().tolist() == [0, 3, 3]
    assert v.dtype is tf.int32


def test_assign_wrong_dtype_raises():
    v = tf.Variable(1.0)
    with pytest.raises((TypeError, ValueError)):
        v.assign(tf.constant(1, tf.int32))
    with pytest.raises((TypeError, ValueError)):
        v.assign(tf.constant(1.0, tf.float64))
    assert v.numpy() == 1.0


def test_assign_python_float_to_int_variable_raises_type_error():
    v = tf.Variable(1)
    with pytest.raises(TypeError):
        v.assign(1.5)


def test_assign_wrong_shape_raises_value_error():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        v.assign_add(tf.ones([2, 2]))
    assert v.numpy().tolist() == [1.0, 2.0]


def test_names_default_and_explicit():
    assert tf.Variable(1.0).name == "Variable:0"
    assert tf.Variable(1.0, name="weights").name == "weights:0"


def test_name_scope_prefixes_variable_names():
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            v = tf.Variable(1.0, name="w")
        u = tf.Variable(1.0, name="u")
    assert v.name == "outer/inner/w:0"
    assert u.name == "outer/u:0"
    assert tf.Variable(1.0, name="top").name == "top:0"


def test_module_name_scope_prefixes_variable_names():
    class Dense(tf.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(tf.ones([2, 3]), name="w")
                self.b = tf.Variable(tf.zeros([3]), name="b", trainable=False)

    layer = Dense(name="dense")
    assert layer.w.name == "dense/w:0"
    assert layer.b.name == "dense/b:0"
    assert Dense().w.name == "dense/w:0"  # default module name: the class name in snake_case
    assert [v.name for v in layer.variables] == ["dense/b:0", "dense/w:0"]
    assert [v.name for v in layer.trainable_variables] == ["dense/w:0"]


def test_trainable_flag():
    assert tf.Variable(1.0).trainable is True
    assert tf.Variable(1.0, trainable=False).trainable is False


def test_operators_read_the_variable():
    v = tf.Variable([1.0, 2.0])
    out = v + 1
    assert isinstance(out, tf.Tensor) and out.numpy().tolist() == [2.0, 3.0]
    assert (v * v).numpy().tolist() == [1.0, 4.0]
    assert (2 * v).numpy().tolist() == [2.0, 4.0]
    assert tf.reduce_sum(v).numpy() == 3.0
    m = tf.Variable([[1.0, 2.0]])
    assert (m @ tf.constant([[1.0], [1.0]])).numpy().tolist() == [[3.0]]
    assert tf.add(v, v).numpy().tolist() == [2.0, 4.0]


def test_numpy_interop_and_python_conversion():
    v = tf.Variable([[1.0, 2.0]])
    assert np.asarray(v).shape == (1, 2)
    assert isinstance(v.numpy(), np.ndarray)
    s = tf.Variable(3.0)
    assert float(s) == 3.0 and bool(s) is True
    assert int(tf.Variable(4)) == 4


def test_variables_are_unhashable_but_ref_is_a_key():
    v = tf.Variable(1.0)
    with pytest.raises(TypeError):
        hash(v)
    assert {v.ref(): 1}[v.ref()] == 1
    assert v.ref().deref() is v


def test_shape_argument_must_be_compatible():
    v = tf.Variable([1.0, 2.0], shape=tf.TensorShape([None]))
    assert v.shape.as_list() == [None]
    with pytest.raises(ValueError):
        tf.Variable([1.0, 2.0], shape=[3])
