"""NumPy inputs are values: any ndarray subclass is converted like np.asarray, and the caller's
array is copied, never frozen, aliased, captured or written (TF copies NumPy inputs too)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograph_jit as tf

BACKENDS = ["cpu", "eager"]
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


class Sub(np.ndarray):
    pass


def _memmap(tmp_path, values):
    m = np.memmap(str(tmp_path / "m.dat"), dtype=values.dtype, mode="w+", shape=values.shape)
    m[...] = values
    return m


def _subclass_inputs(tmp_path):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    return {"Sub": a.view(Sub), "memmap": _memmap(tmp_path, a), "matrix": np.matrix(a)}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["Sub", "memmap", "matrix"])
def test_ndarray_subclass_argument_is_a_value_not_a_captured_constant(tmp_path, backend, kind):
    @tf.function(backend=backend)
    def f(x):
        return x * 2.0 + 1.0

    first = _subclass_inputs(tmp_path)[kind]
    second_values = np.arange(6, dtype=np.float32).reshape(2, 3) + 10
    second = {"Sub": second_values.view(Sub), "memmap": None, "matrix": np.matrix(second_values)}[kind]
    if second is None:
        second = np.memmap(str(tmp_path / "n.dat"), dtype=np.float32, mode="w+", shape=(2, 3))
        second[...] = second_values
    before = np.array(first)
    r1, r2 = f(first), f(second)
    assert isinstance(r1, tf.Tensor) and type(r1.numpy()) is np.ndarray
    np.testing.assert_array_equal(r1.numpy(), np.asarray(before) * 2 + 1)
    np.testing.assert_array_equal(r2.numpy(), second_values * 2 + 1)
    np.testing.assert_array_equal(np.asarray(first), before)  # never written
    assert first.flags.writeable
    assert f.experimental_get_tracing_count() == 1  # keyed as a float32[2,3] tensor
    assert all(n.op != "constant" or n.attrs["value"].size <= 1
               for n in f.get_concrete_function(first).graph.nodes)


def test_matrix_converts_to_its_two_dimensional_array():
    m = np.matrix([[1, 2], [3, 4]], dtype=np.int32)
    t = tf.constant(m)
    assert type(t.numpy()) is np.ndarray and t.shape == (2, 2)
    np.testing.assert_array_equal(tf.reduce_sum(m, axis=1).numpy(), [3, 7])


@pytest.mark.parametrize("kind", ["Sub", "memmap", "matrix"])
def test_ndarray_subclass_inputs_to_an_op_and_a_variable(tmp_path, kind):
    x = _subclass_inputs(tmp_path)[kind]
    np.testing.assert_array_equal(tf.add(x, 1.0).numpy(), np.asarray(x) + 1)
    v = tf.Variable(x)
    v.assign(x * 0 + 5)
    assert type(v.numpy()) is np.ndarray
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), 5, np.float32))
    assert x.flags.writeable


def test_subclass_arguments_on_native_code_never_corrupt_memory(tmp_path):
    """Run where a crash (the old double free / overrun) fails the test instead of the run."""
    script = textwrap.dedent("""
        import numpy as np, autograph_jit as tf

        class Sub(np.ndarray):
            pass

        @tf.function
        def f(x):
            y = x + 1.0
            return tf.concat([y, y * 2.0], axis=0)

        for i in range(200):
            a = (np.arange(1000, dtype=np.float32) + i).view(Sub)
            keep = np.array(a)
            out = f(a).numpy()
            assert np.array_equal(np.asarray(a), keep), "argument written"
            assert np.array_equal(out[:1000], keep + 1), ("stale result", i)
        print("ok", f.experimental_get_tracing_count())
    """)
    path = tmp_path / "sub_native.py"
    path.write_text(script)
    env = dict(os.environ, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["ok", "1"]


# -- the caller's array stays the caller's ------------------------------------------------------

def _conversions():
    @tf.function
    def native(x):
        return x * 1.0

    @tf.function(backend="eager")
    def interpreted(x):
        return x * 1.0

    @tf.function
    def identity(x):
        return x

    return {
        "constant": tf.constant,
        "convert_to_tensor": tf.convert_to_tensor,
        "constant_with_dtype": lambda a: tf.constant(a, dtype=tf.float32),
        "op": lambda a: tf.add(a, 0.0),
        "operator": lambda a: tf.constant(0.0) + a,
        "function_cpu": native,
        "function_eager": interpreted,
        "function_identity": identity,
        "variable": tf.Variable,
    }


@pytest.mark.parametrize("how", sorted(_conversions()))
def test_converting_an_array_leaves_it_writable_and_unaliased(how):
    convert = _conversions()[how]
    arr = np.arange(4, dtype=np.float32)
    t = convert(arr)
    assert arr.flags.writeable
    arr[:] = -1  # the caller may reuse its array
    np.testing.assert_array_equal(np.asarray(t), [0, 1, 2, 3])


@pytest.mark.parametrize("how", sorted(_conversions()))
def test_a_tensor_made_from_a_view_does_not_change_with_its_base(how):
    convert = _conversions()[how]
    base = np.zeros(8, np.float32)
    t = convert(base[2:6])
    base[:] = 7
    assert base.flags.writeable
    np.testing.assert_array_equal(np.asarray(t), [0, 0, 0, 0])


def test_non_contiguous_view_converts_to_its_values():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = tf.constant(base.T[::2])
    np.testing.assert_array_equal(t.numpy(), base.T[::2])
    base[...] = 0
    assert t.numpy()[1, 2] == 10.0


def test_tensor_values_stay_immutable():
    t = tf.constant(np.ones(3, np.float32))
    with pytest.raises(ValueError):
        np.asarray(t)[0] = 5.0
    assert t.numpy()[0] == 1.0
