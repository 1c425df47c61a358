"""The LLVM CPU backend end to end: native control flow, variables, tf.print, bounds checks,
fallbacks and strict mode, input layouts, inspection (llvm_ir / asm / stage times)."""
import warnings

import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.errors import FallbackError
from autograph_jit.errors import InvalidArgumentError


def cpu(fn, **kw):
    return tf.function(fn, backend="cpu", autograph=False, **kw)


def test_collatz_while_loop_runs_natively_without_host_callbacks():
    def collatz(n):
        def body(n, steps):
            n = tf.cond(tf.equal(n % 2, 0), lambda: n // 2, lambda: 3 * n + 1)
            return n, steps + 1
        return tf.while_loop(lambda n, s: tf.not_equal(n, 1), body, [n, tf.constant(0)])[1]
    f = cpu(collatz)
    assert int(f(tf.constant(27))) == 111
    cf = f.get_concrete_function(tf.constant(27))
    exe = cf.native_executables[-1]
    assert exe.host_nodes == []
    assert not [line for line in cf.backend_report if line.startswith("fallback")]


def test_cond_picks_the_branch_at_run_time():
    f = cpu(lambda x: tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x))
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(tf.constant([-1.0, -2.0])).numpy(), [1.0, 2.0])


def test_while_loop_swapping_variables_matches_eager():
    def fib(n):
        return tf.while_loop(lambda i, a, b: i < n, lambda i, a, b: (i + 1, b, a + b),
                             [tf.constant(0), tf.constant(0), tf.constant(1)])[1]
    assert int(cpu(fib)(tf.constant(20))) == 6765


def test_variable_writes_are_visible_eagerly_and_earlier_reads_keep_their_snapshot():
    v = tf.Variable([1.0, 2.0])
    before = v.read_value()

    def step(x):
        a = v.read_value()
        v.assign_add(x)
        b = v.read_value()
        v.assign(v * 2.0)
        return a, b
    a, b = cpu(step)(tf.constant([1.0, 1.0]))
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(b.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])


def test_variable_assigned_inside_a_loop_body():
    v = tf.Variable(0)

    def count(n):
        def body(i):
            v.assign_add(i)
            return i + 1
        tf.while_loop(lambda i: i < n, body, [tf.constant(0)])
        return v.read_value()
    f = cpu(count)
    assert int(f(tf.constant(5))) == 10
    assert int(f(tf.constant(5))) == 20 and int(v.numpy()) == 20


def test_tf_print_runs_every_call_in_program_order(capsys):
    v = tf.Variable(1.0)

    def f(x):
        tf.print("before", v, output_stream="stdout")
        v.assign_add(x)
        tf.print("after", v, output_stream="stdout")
        return v.read_value()
    g = cpu(f)
    g(tf.constant(1.0))
    g(tf.constant(1.0))
    assert capsys.readouterr().out.split("\n")[:4] == ["before 1", "after 2", "before 2",
                                                     "after 3"]


def test_gather_out_of_bounds_raises_invalid_argument_with_location():
    f = cpu(lambda x, i: tf.gather(x, i))
    with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = 5 is not in \[0, 2\)"):
        f(tf.constant([1.0, 2.0]), tf.constant([0, 5]))
    with pytest.raises(InvalidArgumentError, match="is not in"):
        f(tf.constant([1.0, 2.0]), tf.constant([-1]))


def test_integer_division_by_zero_raises():
    f = cpu(lambda a, b: a // b)
    with pytest.raises(InvalidArgumentError, match="Integer division by zero"):
        f(tf.constant([4, 2]), tf.constant([2, 0]))


def test_label_out_of_range_in_sparse_cross_entropy_raises():
    f = cpu(lambda y, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z))
    with pytest.raises(InvalidArgumentError, match="label value of 7"):
        f(tf.constant([7]), tf.constant([[0.0, 1.0]]))


def test_data_dependent_shape_falls_back_with_one_warning_and_a_report():
    f = cpu(lambda x: tf.reduce_sum(tf.boolean_mask(x, x > 0) * 2.0))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert float(f(tf.constant([1.0, -2.0, 3.0]))) == 8.0
        assert float(f(tf.constant([1.0, -2.0, 3.0]))) == 8.0
    assert len([x for x in w if "interpreter" in str(x.message)]) == 1
    report = f.get_concrete_function(tf.constant([1.0, -2.0, 3.0])).backend_report
    assert any("where_indices" in line and "depends on" in line for line in report)


def test_strict_turns_a_fallback_into_an_error():
    f = cpu(lambda x: tf.boolean_mask(x, x > 0), strict=True)
    with pytest.raises(FallbackError, match="strict=True"):
        f(tf.constant([1.0, -2.0]))


@pytest.mark.filterwarnings("ignore:.*run on the interpreter")
def test_random_ops_reproduce_with_set_seed():
    f = cpu(lambda x: tf.random.uniform([3]) + x)
    tf.random.set_seed(7)
    a = f(tf.constant(0.0)).numpy()
    tf.random.set_seed(7)
    b = f(tf.constant(0.0)).numpy()
    np.testing.assert_array_equal(a, b)


def test_non_contiguous_and_negative_stride_inputs_are_accepted():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    f = cpu(lambda x: x * 2.0 + 1.0)
    for arr in (base[:, ::2], base[::-1], base.T[::-1]):
        t = tf.constant(arr)
        t._value = arr  # an eager tensor over a strided view, as eager slicing makes
        np.testing.assert_array_equal(f(t).numpy(), arr * 2.0 + 1.0)


def test_new_input_shapes_reuse_the_symbolic_batch_executable():
    f = cpu(lambda x: tf.reduce_sum(x * x), input_signature=[tf.TensorSpec([None], tf.float32)])
    assert float(f(tf.constant([1.0, 2.0]))) == 5.0
    assert float(f(tf.constant([1.0, 2.0, 3.0]))) == 14.0
    cf = f.get_concrete_function()
    assert len(cf.native_executables) == 1  # (codegen/llvm/symdim.py)


def test_new_input_shapes_specialize_again_when_the_graph_needs_static_shapes():
    f = cpu(lambda x: tf.reduce_sum(tf.squeeze(x) ** 2),
            input_signature=[tf.TensorSpec([None, 1], tf.float32)])
    assert float(f(tf.constant([[1.0], [2.0]]))) == 5.0
    assert float(f(tf.constant([[1.0], [2.0], [3.0]]))) == 14.0
    cf = f.get_concrete_function()
    assert len(cf.native_executables) == 2


def test_results_never_alias_each_other_or_inputs():
    f = cpu(lambda x: (x, x, tf.reshape(x, [2, 2])))
    a, b, c = f(tf.constant([1.0, 2.0, 3.0, 4.0]))
    assert not np.shares_memory(a.numpy(), b.numpy())
    np.testing.assert_array_equal(c.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_llvm_ir_names_the_user_line_and_stage_times_include_llvm():
    def f(x):
        return tf.tanh(x * 0.5 + 1.0)
    g = cpu(f)
    g(tf.constant([1.0, 2.0]))
    cf = g.get_concrete_function(tf.constant([1.0, 2.0]))
    text = cf.llvm_ir()
    assert "define i32 @\"agj_entry\"" in text
    assert "test_cpu_backend.py" in text and "tf.tanh(x * 0.5 + 1.0)" in text
    names = [n for n, _ in cf.stage_times]
    assert "llvm optimize" in names and "machine code" in names
    assert "agj_entry" in cf.asm()


def test_optimized_ir_is_vectorized_for_an_elementwise_chain(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")  # LLVM must run to show its output
    g = cpu(lambda x: x * 3.0 + 1.0)
    x = tf.constant(np.zeros(64, np.float32))
    g(x)
    text = g.get_concrete_function(x).llvm_ir(optimized=True)
    assert "x float>" in text


def test_large_elementwise_chain_split_across_threads_matches_numpy():
    x = np.random.default_rng(0).standard_normal(300_000).astype(np.float32)
    f = cpu(lambda x: tf.tanh(x * 0.5 + 1.0) * tf.sigmoid(x) + tf.exp(-x * x))
    got = f(tf.constant(x)).numpy()
    want = np.tanh(x * 0.5 + 1.0) * (1.0 / (1.0 + np.exp(-x))) + np.exp(-x * x)
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    text = f.get_concrete_function(tf.constant(x)).llvm_ir()
    assert "ag_parallel_for" in text


def test_fused_dense_layer_and_loss_run_natively_and_match_the_interpreter():
    rng = np.random.default_rng(1)
    w = tf.constant(rng.standard_normal((6, 4)).astype(np.float32))
    b = tf.constant(rng.standard_normal(4).astype(np.float32))

    def f(x, y):
        h = tf.nn.relu(tf.matmul(x, w) + b)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))
        return h, loss, tf.reduce_sum(tf.square(h - 1.0), axis=0)
    x = tf.constant(rng.standard_normal((5, 6)).astype(np.float32))
    y = tf.constant(np.array([0, 1, 2, 3, 0], np.int32))
    got = cpu(f)(x, y)
    want = tf.function(f, backend="eager", autograph=False)(x, y)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)
    cf = cpu(f).get_concrete_function(x, y)
    kinds = {n.attrs.get("kind") for n in cf.optimized_graph.nodes if n.op.name == "fusion"}
    cf(x, y)
    assert cf.native_executables[-1].host_nodes == []
    assert kinds  # the optimizer fused something, and it compiled natively


def test_matmul_of_broadcast_and_transposed_views_matches_numpy():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((1, 64)).astype(np.float32)
    b = rng.standard_normal((64, 48)).astype(np.float32)
    f = cpu(lambda v, b: (tf.matmul(tf.broadcast_to(v, [40, 64]), b),
                          tf.matmul(tf.transpose(b), tf.transpose(tf.broadcast_to(v, [40, 64])))))
    p, q = f(tf.constant(v), tf.constant(b))
    np.testing.assert_allclose(p.numpy(), np.broadcast_to(v, (40, 64)) @ b, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(q.numpy(), b.T @ np.broadcast_to(v, (40, 64)).T, rtol=1e-5,
                               atol=1e-4)


def test_run_time_index_is_native_and_bounds_checked():
    x = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    f = cpu(lambda x, i: (x[i], x[:, i], x[-1 - i]))
    for i in (0, 2, -1):
        xn = x.numpy()
        for got, want in zip(f(x, tf.constant(i)), (xn[i], xn[:, i], xn[-1 - i])):
            np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(InvalidArgumentError, match="slice index 3 of dimension 0 out of bounds"):
        f(x, tf.constant(3))
    report = f.get_concrete_function(x, tf.constant(0)).backend_report
    assert not [line for line in report if line.startswith("fallback")]


def test_assert_checks_natively_and_raises_the_ops_own_error():
    def f(x):
        tf.debugging.assert_greater(x, 0.0, message="x must be positive")
        return x * 2.0
    g = cpu(f)
    np.testing.assert_array_equal(g(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    with pytest.raises(InvalidArgumentError, match="x must be positive"):
        g(tf.constant([1.0, -2.0]))
    report = g.get_concrete_function(tf.constant([1.0, 2.0])).backend_report
    assert not [line for line in report if line.startswith("fallback")]


def test_a_whole_graph_that_fails_to_compile_is_reported_warned_and_still_correct(monkeypatch):
    import autograph_jit.codegen.llvm as llvm_backend

    def refuse(*args, **kwargs):
        raise RuntimeError("no lowering for this test")
    monkeypatch.setattr(llvm_backend, "Executable", refuse)

    @tf.function
    def f(x):
        return x * 2.0 + 1.0
    with pytest.warns(RuntimeWarning, match="run on the interpreter"):
        out = f(tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [3.0, 5.0])
    cf = f.get_concrete_function(tf.constant([1.0, 2.0]))
    assert "could not compile it: RuntimeError: no lowering for this test" in cf.explain()


def test_large_matmul_calls_blas_without_switching_its_threads_and_matches_eager():
    n = 256  # big enough for OpenBLAS to thread it on its own, as it does for NumPy's `@`
    rng = np.random.default_rng(0)
    a = tf.constant(rng.normal(size=(n, n)).astype(np.float32))
    b = tf.constant(rng.normal(size=(n, n)).astype(np.float32))
    f = tf.function(lambda a, b: a @ b)
    np.testing.assert_allclose(f(a, b).numpy(), a.numpy() @ b.numpy(), rtol=1e-4, atol=1e-3)
    ir_text = f.get_concrete_function(a, b).llvm_ir()
    assert "ag_matmul_f32" in ir_text and "set_threads" not in ir_text
