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


# -- calls that let go of the GIL (more than native_call.BRIEF_ELEMENTS elements): each holds
# its written variables' write locks from its read to its install (variable_locks.py)

_ROWS = 40000   # per element of the variable: 3 * 40000 elements, not brief


def _long_step(v):
    @tf.function
    def step(x):
        v.assign_add(tf.reduce_sum(tf.reshape(x, [3, -1]), axis=1))
        return tf.reduce_sum(x)
    return step


def _in_threads(*bodies):
    import threading
    errors = []

    def guarded(body):
        try:
            body()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=guarded, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a writer never finished (deadlock?)"
    assert not errors, errors


def test_two_long_executables_writing_one_variable_from_two_threads_lose_no_update():
    v = tf.Variable(np.zeros(3, np.float32))
    step = _long_step(v)
    a = tf.constant(np.ones(3 * _ROWS, np.float32))
    b = tf.constant(np.ones(3 * (_ROWS + 1), np.float32))   # another shape: another executable
    step(a), step(b), step(b)
    assert type(step._native).__name__ == "builtin_function_or_method"   # (native warm calls)
    v.assign(np.zeros(3, np.float32))
    n = 150
    _in_threads(lambda: [step(a) for _ in range(n)], lambda: [step(b) for _ in range(n)])
    np.testing.assert_array_equal(v.numpy(), [n * _ROWS + n * (_ROWS + 1)] * 3)


def test_a_long_executable_and_eager_assign_add_in_another_thread_lose_no_update():
    v = tf.Variable(np.zeros(3, np.float32))
    step = _long_step(v)
    a = tf.constant(np.ones(3 * _ROWS, np.float32))
    step(a)
    v.assign(np.zeros(3, np.float32))
    n, m = 150, 3000
    one = tf.constant(np.ones(3, np.float32))
    _in_threads(lambda: [step(a) for _ in range(n)],
                lambda: [v.assign_add(one) for _ in range(m)])
    np.testing.assert_array_equal(v.numpy(), [n * _ROWS + m] * 3)


def test_a_long_executable_and_a_brief_ones_native_calls_lose_no_update():
    v = tf.Variable(np.zeros(3, np.float32))
    step = _long_step(v)

    @tf.function
    def bump(x):                     # brief: a native warm call that keeps the GIL
        v.assign_add(x)
        return x
    a = tf.constant(np.ones(3 * _ROWS, np.float32))
    one = tf.constant(np.ones(3, np.float32))
    step(a), bump(one), bump(one)
    assert step.get_concrete_function(a).native_executables[0].written
    v.assign(np.zeros(3, np.float32))
    n, m = 150, 5000
    _in_threads(lambda: [step(a) for _ in range(n)], lambda: [bump(one) for _ in range(m)])
    np.testing.assert_array_equal(v.numpy(), [n * _ROWS + m] * 3)


def test_an_executable_whose_host_callback_writes_a_variable_runs_beside_other_writers():
    # (a host callback runs Python inside the call, which may write any variable: such a call
    # holds every write lock, so no two writers wait on each other in a cycle)
    v = tf.Variable(np.zeros(3, np.float32))
    w = tf.Variable(0.0)

    def note():
        w.assign_add(1.0)
        return np.float32(0)

    @tf.function
    def with_callback(x):
        tf.numpy_function(note, [], tf.float32)
        v.assign_add(tf.reduce_sum(tf.reshape(x, [3, -1]), axis=1))
        return tf.reduce_sum(x)

    @tf.function
    def bump_w(x):
        w.assign_add(tf.reduce_sum(x))
        v.assign_add(tf.ones(3))
        return x
    a = tf.constant(np.ones(3 * _ROWS, np.float32))
    c = tf.constant(np.full(3 * _ROWS, 1e-5, np.float32))
    with_callback(a), bump_w(c)
    v.assign(np.zeros(3, np.float32))
    w.assign(0.0)
    n = 60
    _in_threads(lambda: [with_callback(a) for _ in range(n)],
                lambda: [bump_w(c) for _ in range(n)])
    np.testing.assert_array_equal(v.numpy(), [n * _ROWS + n] * 3)
    assert abs(float(w.numpy()) - n * (1 + float(np.sum(c.numpy())))) < 1e-2 * n
