"""Two executables that write one variable (two shapes of a function, two functions) lose no
update when two threads call them at once: the Python path of a brief executable keeps the GIL
around its entry, as its native warm call does (native_call.gil_mode), so no call reads the
variable while another is between reading it and installing the new value (an executable's
scratch lock excludes calls of that executable only). Before, the Python path let go of the GIL
there, and a first call whose entry ran slowly could install a value that overwrote another
thread's whole run of native calls: benchmarks/soak.py `threads` lost 5,000 updates in about
4 runs of 10 (tests/reliability/test_soak.py runs it)."""
import ctypes

import numpy as np

import autograph_jit as tf


def _keeps_gil(entry):
    return bool(getattr(type(entry), "_flags_", 0) & ctypes._FUNCFLAG_PYTHONAPI)


def test_a_brief_executable_that_writes_variables_keeps_the_gil_on_the_python_path():
    v = tf.Variable(0.0)

    @tf.function
    def step(x):
        v.assign_add(tf.reduce_sum(x))
        return v * 1.0

    x = tf.constant(np.ones(4, np.float32))
    step(x)
    exe = step.get_concrete_function(x).native_executables[0]
    assert exe.written and _keeps_gil(exe._writing_entry())
    step.get_concrete_function(x)._call_flat([x])   # (the Python path)
    assert float(v.numpy()) == 8.0


def test_a_long_executable_and_one_that_writes_nothing_keep_the_usual_entry():
    v = tf.Variable(np.zeros(3, np.float32))

    @tf.function
    def long_step(x):   # more than native_call.BRIEF_ELEMENTS elements: not brief
        v.assign_add(tf.reduce_sum(tf.reshape(x, [3, -1]), axis=1))
        return v * 1.0

    big = tf.constant(np.ones(3 * 40000, np.float32))
    long_step(big)
    exe = long_step.get_concrete_function(big).native_executables[0]
    assert exe.written and not _keeps_gil(exe._writing_entry())
    np.testing.assert_array_equal(v.numpy(), [40000.0] * 3)
