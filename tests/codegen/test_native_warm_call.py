"""The native warm call (codegen/llvm/native_call.py): a warm `f(x)` done in machine code returns
exactly what the ordinary path returns, steps aside (to the ordinary path) for every argument
it was not made for, never leaks references, and shares the executable's scratch lock."""
import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.tracing.warm_call import MISS


def cpu(fn, **kw):
    return tf.function(fn, backend="cpu", autograph=False, **kw)


def native_of(f, *args):
    f(*args)
    f(*args)
    assert type(f._native).__name__ == "builtin_function_or_method", "no native warm call"
    return f._native


def test_single_output_is_a_fresh_read_only_tensor_of_the_traced_dtype():
    f = cpu(lambda x: x * 2.0 + 1.0)
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    native = native_of(f, x)
    a, b = native((x,)), native((x,))
    assert type(a) is type(x) and a.dtype is tf.float32 and a.shape == (2, 2)
    assert a._value is not b._value and not a._value.flags.writeable
    np.testing.assert_array_equal(a.numpy(), x.numpy() * 2 + 1)


def test_tuple_and_nested_outputs_keep_their_structure():
    f = cpu(lambda x, y: (x + y, x - y))
    g = cpu(lambda x: {"sq": x * x, "pair": [x, -x]})
    x, y = tf.constant([1, 2, 3]), tf.constant([10, 20, 30])
    native_of(f, x, y)
    s, d = f(x, y)
    assert s.dtype is tf.int32 and s.numpy().tolist() == [11, 22, 33]
    assert d.numpy().tolist() == [-9, -18, -27]
    g(x)
    out = g(x)
    assert out["sq"].numpy().tolist() == [1, 4, 9] and out["pair"][1].numpy().tolist() == [-1, -2, -3]


def test_scalar_and_rank_zero_outputs():
    f = cpu(lambda x: tf.reduce_sum(x))
    x = tf.constant([1.5, 2.5])
    native_of(f, x)
    r = f(x)
    assert r.shape == () and float(r) == 4.0


@pytest.mark.parametrize("other", [
    tf.constant([1.0, 2.0, 3.0, 4.0]),         # another shape
    tf.constant([[1.0, 2.0, 3.0]]),            # another rank
    tf.constant([1.0, 2.0, 3.0], tf.float64),  # another dtype
    np.array([1.0, 2.0, 3.0], np.float32),     # not a tensor
])
def test_arguments_it_was_not_made_for_miss_and_take_the_ordinary_path(other):
    f = cpu(lambda x: x * 3)
    native = native_of(f, tf.constant([1.0, 2.0, 3.0]))
    assert native((other,)) is MISS
    np.testing.assert_allclose(np.asarray(f(other)), np.asarray(other) * 3)


def test_wrong_argument_count_misses():
    f = cpu(lambda x: x + 1)
    x = tf.constant(1.0)
    native = native_of(f, x)
    assert native(()) is MISS and native((x, x)) is MISS


def test_non_contiguous_value_misses_and_is_copied_by_the_ordinary_path():
    f = cpu(lambda x: x + 1)
    native = native_of(f, tf.constant([0.0, 0.0, 0.0]))
    base = np.arange(6, dtype=np.float32)
    strided = tf.constant(0.0)
    strided._value = base[::2]  # an EagerTensor over a strided view (as some kernels return)
    assert native((strided,)) is MISS
    assert f(strided).numpy().tolist() == [1.0, 3.0, 5.0]


def test_busy_scratch_memory_misses_and_the_ordinary_path_uses_private_scratch():
    f = cpu(lambda x: tf.tanh(x) * 2.0)
    x = tf.constant([0.25, 0.5])
    native = native_of(f, x)
    exe = f.get_concrete_function(x).native_executables[0]
    assert exe._lock.acquire()
    try:
        assert native((x,)) is MISS
        np.testing.assert_allclose(f(x).numpy(), np.tanh(x.numpy()) * 2.0, rtol=1e-6)
    finally:
        exe._lock.release()
    assert native((x,)) is not MISS


def test_active_tape_misses_so_the_call_is_recorded():
    f = cpu(lambda x: x * x)
    x = tf.constant(3.0)
    native = native_of(f, x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        assert native((x,)) is MISS
        y = f(x)
    assert float(tape.gradient(y, x)) == 6.0


def test_tracing_in_another_thread_only_sends_calls_to_the_ordinary_path():
    f = cpu(lambda x: x + 1)
    x = tf.constant(1.0)
    native = native_of(f, x)
    inside, release = threading.Event(), threading.Event()

    @tf.function
    def slow_trace(y):
        inside.set()
        release.wait(10)
        return y * 2

    t = threading.Thread(target=lambda: slow_trace(tf.constant(1.0)))
    t.start()
    assert inside.wait(10)
    try:
        assert native((x,)) is MISS
        assert float(f(x)) == 2.0   # eager in this thread: not staged into the other trace
    finally:
        release.set()
        t.join()
    assert native((x,)) is not MISS


def test_errors_from_native_code_are_raised_with_the_lock_released():
    f = cpu(lambda p, i: tf.gather(p, i))
    p = tf.constant([1.0, 2.0, 3.0])
    good, bad = tf.constant([0, 2]), tf.constant([0, 7])
    native_of(f, p, good)
    with pytest.raises(tf.errors.InvalidArgumentError, match="7"):
        f(p, bad)
    exe = f.get_concrete_function(p, good).native_executables[0]
    assert exe._lock.acquire()
    exe._lock.release()
    assert f(p, good).numpy().tolist() == [1.0, 3.0]


def test_no_references_leak_across_many_calls():
    f = cpu(lambda x, y: (x + y, x * y))
    x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    native_of(f, x, y)
    kept = [f(x, y) for _ in range(3)]  # (fills the result pool: new tensors each)
    del kept
    exe = f.get_concrete_function(x, y).native_executables[0]
    watched = [x._value, y._value, exe._ws, exe._err, exe._flags, tf.float32]
    gc.collect()
    before = [sys.getrefcount(o) for o in watched]
    for _ in range(2000):
        f(x, y)
    gc.collect()
    assert [sys.getrefcount(o) for o in watched] == before
    out = f(x, y)[0]
    ref = weakref.ref(out)
    del out
    f(x, y)  # a dropped result that is weakly referenced leaves the pool at the next call
    gc.collect()
    assert ref() is None


def test_without_the_native_pieces_calls_keep_the_python_fast_path(monkeypatch):
    from autograph_jit.codegen.llvm import native_call
    monkeypatch.setattr(native_call, "_setup", lambda: None)
    f = cpu(lambda x: x * 2.0 - 1.0)
    x = tf.constant([1.0, 4.0])
    f(x)
    (guards, call), = f._fast_cache.values()
    assert call.__qualname__.startswith("_python_caller") and f._native((x,)) is MISS
    assert f(x).numpy().tolist() == [1.0, 7.0]
    exe = f.get_concrete_function(x).native_executables[0]
    assert exe._lock.word is None and exe._lock.acquire()
    try:
        assert f(x).numpy().tolist() == [1.0, 7.0]  # private scratch while the lock is held
    finally:
        exe._lock.release()


def test_stateful_functions_install_new_variable_buffers_and_leave_old_values_intact():
    v = tf.Variable([1.0, 2.0])
    counter = tf.Variable(0, dtype=tf.int64)

    def step(x):
        v.assign(v * x)
        counter.assign_add(1)
        return v.read_value() + 0.0

    f = cpu(step)
    x = tf.constant(2.0)
    native_of(f, x)  # two calls: v = [4, 8]
    held = v.read_value()
    r = f(x)
    assert r.numpy().tolist() == [8.0, 16.0] and v.numpy().tolist() == [8.0, 16.0]
    assert held.numpy().tolist() == [4.0, 8.0]  # an earlier read is a snapshot, not aliased
    assert int(counter.numpy()) == 3 and not v._value.flags.writeable


def test_stateful_call_misses_when_a_variable_changed_shape_and_recompiles():
    v = tf.Variable(tf.zeros([2]), shape=tf.TensorShape([None]))
    f = cpu(lambda x: tf.reduce_sum(v) + x)
    x = tf.constant(1.0)
    native = native_of(f, x)
    v.assign(tf.ones([3]))
    assert native((x,)) is MISS
    assert float(f(x)) == 4.0


def test_a_variable_assigned_in_one_branch_only_keeps_its_value_on_the_other():
    v = tf.Variable(5.0)

    def step(x):
        if x > 0:
            v.assign(x)
        return v.read_value()

    f = tf.function(step, backend="cpu")
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    assert type(f._native).__name__ == "builtin_function_or_method"
    assert float(f(tf.constant(-1.0))) == 2.0 and float(v.numpy()) == 2.0
    assert float(f(tf.constant(3.0))) == 3.0


def test_assigning_a_new_shape_to_a_none_shaped_variable_keeps_every_element():
    v = tf.Variable(tf.zeros([2]), shape=tf.TensorShape([None]))

    def put(x):
        v.assign(x)
        return tf.reduce_sum(v)

    f = cpu(put)
    x = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
    for _ in range(3):
        assert float(f(x)) == 15.0 and v.numpy().tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_only_brief_executables_keep_the_gil_during_the_native_call():
    from autograph_jit.codegen.llvm.native_call import is_brief

    def exe_of(f, *args):
        f(*args)
        return f.get_concrete_function(*args).native_executables[0]

    assert is_brief(exe_of(cpu(lambda x: x + 1), tf.constant(1.0)))
    big = tf.zeros([1 << 16])
    assert not is_brief(exe_of(cpu(lambda x: x + 1), big))
    loop = cpu(lambda n: tf.while_loop(lambda i: i < n, lambda i: i + 1, [0]))
    assert not is_brief(exe_of(loop, tf.constant(3)))



# -- the dispatcher: tf.function's __call__ in machine code -----------------------------------------
def _dispatching(f, *args):
    native_of(f, *args)
    from autograph_jit.tracing.function import Function
    assert type(Function.__dict__["__call__"]).__name__ == "method_descriptor"


def test_a_warm_call_through_the_dispatcher_runs_no_python_frame():
    f = cpu(lambda x: x * 2.0)
    x = tf.constant([1.0, 2.0])
    _dispatching(f, x)
    frames = []
    sys.setprofile(lambda frame, event, arg: frames.append(event) if event == "call" else None)
    try:
        y = f(x)
    finally:
        sys.setprofile(None)
    assert frames == [] and y.numpy().tolist() == [2.0, 4.0]


def test_calls_the_warm_call_does_not_take_reach_the_python_call_with_their_arguments():
    def fn(x, y=None, scale=1.0):
        return x * scale if y is None else (x + y) * scale
    f = cpu(fn)
    x = tf.constant([1.0, 2.0])
    _dispatching(f, x)
    assert f(x, scale=3.0).numpy().tolist() == [3.0, 6.0]                 # a keyword
    assert f(x, x, 2.0).numpy().tolist() == [4.0, 8.0]                    # another signature
    assert f.__call__(x).numpy().tolist() == [1.0, 2.0]                   # bound method
    assert type(f).__call__(f, x, y=x).numpy().tolist() == [2.0, 4.0]     # unbound
    with pytest.raises(TypeError, match="too many positional arguments"):
        f(x, x, 1.0, 4)
    with pytest.raises(TypeError, match="unexpected keyword"):
        f(x, bogus=1)


def test_more_arguments_than_the_dispatcher_stack_holds_are_passed_through_the_heap():
    f = cpu(lambda *xs: tf.add_n(list(xs)))
    xs = [tf.constant(float(i)) for i in range(40)]
    _dispatching(f, *xs[:1])
    assert float(f(*xs)) == sum(range(40))
    assert float(f(*xs)) == sum(range(40))  # (warm: a native call with 40 inputs)


def test_functions_run_eagerly_bypass_the_warm_call():
    seen = []

    def fn(x):
        seen.append(1)
        return x + 1.0
    f = cpu(fn)
    x = tf.constant(1.0)
    _dispatching(f, x)
    del seen[:]
    tf.config.run_functions_eagerly(True)
    try:
        assert float(f(x)) == 2.0 and seen == [1]
    finally:
        tf.config.run_functions_eagerly(False)
    assert float(f(x)) == 2.0 and seen == [1]


@pytest.mark.parametrize("junk", [None, "not callable", len, lambda args: 42])
def test_anything_else_in_the_native_slot_is_ignored_by_the_dispatcher(junk):
    f = cpu(lambda x: x - 1.0)
    x = tf.constant(5.0)
    _dispatching(f, x)
    f._native = junk  # the dispatcher runs only its own builtins, the Python call none
    assert float(f(x)) == 4.0 and float(f(x)) == 4.0


def test_errors_raised_in_a_dispatched_warm_call_show_the_callers_line():
    import traceback
    f = cpu(lambda p, i: tf.gather(p, i))
    p = tf.constant([1.0, 2.0, 3.0])
    _dispatching(f, p, tf.constant([0, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        f(p, tf.constant([0, 9]))  # the failing call
    lines = [fr.line for fr in traceback.extract_tb(info.value.__traceback__)]
    assert any("the failing call" in (line or "") for line in lines)


# -- recycled results --------------------------------------------------------------------------------
def test_a_held_result_is_never_reused():
    f = cpu(lambda x: x * 10)
    a, b = tf.constant(1), tf.constant(2)
    native_of(f, a)
    kept = [f(a), f(b), f(a), f(b)]
    assert [int(t) for t in kept] == [10, 20, 10, 20]
    assert len({id(t) for t in kept}) == 4 and len({id(t._value) for t in kept}) == 4


def test_a_dropped_result_is_recycled_but_arrays_and_views_taken_from_it_stay_intact():
    f = cpu(lambda x: x * 10)
    native_of(f, tf.constant(1))
    first = f(tf.constant(1))
    arr = np.asarray(first)       # the tensor's own array
    view = first._value[()]       # a NumPy scalar copy
    del first
    others = [int(f(tf.constant(k))) for k in range(2, 6)]
    assert others == [20, 30, 40, 50] and int(arr) == 10 and int(view) == 10
    assert not arr.flags.writeable


def test_a_recycled_result_gets_its_dtype_back_and_a_changed_array_is_not_reused():
    f = cpu(lambda x: x + 1.0)
    x = tf.constant([1.0, 2.0])
    native_of(f, x)
    r = f(x)
    r.dtype = tf.int32            # (a user assigning a slot)
    del r
    r = f(x)
    r._value.shape = (2, 1)       # reshaped in place
    del r
    for _ in range(3):
        s = f(x)
        assert s.dtype is tf.float32 and s.shape == (2,) and s.numpy().tolist() == [2.0, 3.0]


def test_large_results_are_not_pooled():
    from autograph_jit.codegen.llvm.native_call import POOL_BYTES
    f = cpu(lambda x: x + 1.0)
    big = tf.zeros([POOL_BYTES // 4 + 1])
    native = native_of(f, big)
    r = f(big)
    ref = weakref.ref(r)
    del r
    assert ref() is None and all(e is None for e in native.__self__.keep[-1])


# -- the GIL around loops ---------------------------------------------------------------------------
def test_a_long_loop_lets_other_threads_run_and_a_short_one_keeps_the_gil():
    from autograph_jit.codegen.llvm import native_call as nc
    f = cpu(lambda n: tf.while_loop(lambda i, s: i < n, lambda i, s: (i + 1, s + i % 7),
                                    [0, 0])[1])
    short, long_ = tf.constant(10), tf.constant(60_000_000)
    native = native_of(f, short)
    cfg = native.__self__
    assert cfg[nc._RELEASE_GIL] == nc.ADAPTIVE_GIL
    f(short)
    assert cfg[nc._LAST_TICKS] < nc.SHORT_TICKS  # the next call keeps the GIL
    f(long_)                                     # (kept it: now known to be long)
    assert cfg[nc._LAST_TICKS] >= nc.SHORT_TICKS
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
    t = threading.Thread(target=count)
    t.start()
    try:
        before = len(ticks)
        f(long_)                                 # releases the GIL: the counter runs
        during = len(ticks) - before
    finally:
        stop.set()
        t.join()
    assert during > 0
    assert int(f(short)) == sum(i % 7 for i in range(10))


def test_executables_with_host_callbacks_always_release_the_gil():
    from autograph_jit.codegen.llvm import native_call as nc

    def fn(x):
        tf.print(x, output_stream=sys.stdout)
        return x + 1
    f = cpu(fn)
    x = tf.constant(1)
    f(x)
    exe = f.get_concrete_function(x).native_executables[0]
    assert nc.gil_mode(exe) == nc.RELEASE_GIL
