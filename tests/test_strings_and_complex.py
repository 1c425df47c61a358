"""String and complex tensors as TF 2.x has them (expected values printed by TF 2.21 on this
machine): creation, .numpy(), repr, tf.strings, complex math, and both flowing through
tf.function as host ops that explain() reports."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf


def test_string_constants_hold_bytes_and_print_as_tf():
    s = tf.constant("abc")
    assert s.dtype == tf.string and s.numpy() == b"abc"
    assert repr(s) == "<tf.Tensor: shape=(), dtype=string, numpy=b'abc'>"
    v = tf.constant(["a", "bc"])
    assert repr(v) == ("<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'bc'], "
                       "dtype=object)>")
    assert str(v) == "tf.Tensor([b'a' b'bc'], shape=(2,), dtype=string)"
    assert tf.constant(np.array(["x", "yy"])).numpy().tolist() == [b"x", b"yy"]
    assert tf.constant("héllo").numpy() == "héllo".encode()


def test_string_equality_and_concatenation_are_elementwise():
    v = tf.constant(["a", "bc"])
    assert (v == tf.constant("a")).numpy().tolist() == [True, False]
    assert tf.equal(v, "bc").numpy().tolist() == [False, True]
    assert (tf.constant("a") + tf.constant("b")).numpy() == b"ab"


def test_mixed_lists_and_string_casts_raise_tfs_errors():
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant(["a", 1])
    with pytest.raises(tf.errors.UnimplementedError, match="Cast string to float32"):
        tf.cast(tf.constant("1"), tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly convert"):
        tf.strings.to_number("abc")


def test_strings_split_gives_a_tensor_for_a_scalar_and_a_ragged_tensor_for_a_vector():
    assert tf.strings.split("a b  c").numpy().tolist() == [b"a", b"b", b"c"]
    r = tf.strings.split(tf.constant(["a,b", "c"]), sep=",")
    assert isinstance(r, tf.RaggedTensor) and r.to_list() == [[b"a", b"b"], [b"c"]]
    assert repr(tf.ragged.constant([["a", "bc"], ["d"]])) == \
        "<tf.RaggedTensor [[b'a', b'bc'], [b'd']]>"


def test_as_string_formats_numbers_like_tf():
    assert tf.strings.as_string(tf.constant([3.5, 1e-7])).numpy().tolist() == \
        [b"3.500000", b"0.000000"]
    assert tf.strings.as_string(tf.constant([True, False])).numpy().tolist() == \
        [b"true", b"false"]
    assert tf.strings.as_string(tf.constant([3]), width=4).numpy().tolist() == [b"   3"]
    assert tf.strings.as_string(tf.constant([3]), width=4, fill="0").numpy().tolist() == \
        [b"0003"]


def test_string_values_flow_through_tf_function_as_a_reported_host_graph():
    @tf.function
    def greet(name, n):
        s = tf.strings.join(["hello ", tf.strings.upper(name)])
        return s, tf.strings.length(s) + n, name == "bob"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a host graph by design is not a fallback warning
        s, n, same = greet(tf.constant("bob"), tf.constant(1))
    assert s.numpy() == b"hello BOB" and int(n) == 10 and bool(same)
    text = greet.get_concrete_function(tf.constant("bob"), tf.constant(1)).explain()
    assert "host: all of greet runs on the interpreter: it holds tf.string values" in text


def test_strings_to_number_inside_tf_function_matches_eager():
    @tf.function
    def parse(s):
        return tf.strings.to_number(s) * 2.0
    np.testing.assert_array_equal(parse(tf.constant(["1.5", "2"])).numpy(), [3.0, 4.0])


def test_strings_split_inside_tf_function_says_it_is_eager_only():
    @tf.function
    def f(s):
        return tf.strings.split(s)
    with pytest.raises(TypeError, match="eager only"):
        f(tf.constant(["a b"]))


def test_complex_constants_arithmetic_abs_and_parts_as_tf():
    z = tf.constant(1 + 2j)
    assert z.dtype == tf.complex128
    assert repr(z) == "<tf.Tensor: shape=(), dtype=complex128, numpy=(1+2j)>"
    assert complex(z * tf.constant(2 + 0j)) == 2 + 4j
    a = tf.abs(tf.constant([3 + 4j], dtype=tf.complex64))
    assert a.dtype == tf.float32 and a.numpy().tolist() == [5.0]
    assert float(tf.math.real(z)) == 1.0 and float(tf.math.imag(z)) == 2.0
    assert complex(tf.math.conj(z)) == 1 - 2j
    c = tf.complex(tf.constant([1.0]), tf.constant([2.0]))
    assert c.dtype == tf.complex64 and c.numpy().tolist() == [1 + 2j]
    assert complex(tf.reduce_sum(tf.constant([1 + 2j, 3j]))) == 1 + 5j
    assert float(tf.cast(z, tf.float32)) == 1.0  # the imaginary part is dropped, as TF


def test_complex_values_are_refused_where_tf_refuses_them():
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.maximum(tf.constant(1j), tf.constant(2j))
    with pytest.raises(TypeError):
        tf.constant([1j, 2j], dtype=tf.float32)


def test_complex_math_inside_tf_function_matches_eager_and_is_reported_as_host():
    def f(x):
        return tf.abs(x * x + 1), tf.math.real(x)
    x = tf.constant([1 + 1j, 2j])
    eager = f(x)
    compiled = tf.function(f)
    got = compiled(x)
    for g, e in zip(got, eager):
        np.testing.assert_allclose(g.numpy(), e.numpy())
    assert "tf.complex128 values" in compiled.get_concrete_function(x).explain()
