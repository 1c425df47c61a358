"""Compile time grows linearly with graph size (issue 11, defect 7).

Work is counted, not timed: the number of Python lines the compiler executes (sys.settrace,
only lines in the autograph_jit package) for a graph of n ops and of 4n ops. Linear work gives a
ratio near 4; the quadratic elementwise fusion this replaces gave 15. Each pass is counted on its
own so that a failure names the pass. LLVM's own work cannot be counted this way; what bounds it
is that no fused loop body grows past MAX_FUSED_OPS (LLVM's loop vectorizer is quadratic in the
length of a body's dependence chain).
"""
import os
import sys
import warnings

import pytest

import autograph_jit as tf
from autograph_jit.ir.verifier import verify
from autograph_jit.passes import elementwise_fusion, pipeline

PKG = os.path.dirname(os.path.abspath(tf.__file__))
SMALL, LARGE = 150, 600   # 4x more ops
MAX_RATIO = 5.0           # linear (4) with slack for n log n; quadratic would be 16


def _count_lines(fn, *args):
    """(lines of autograph_jit executed by fn(*args), its result)."""
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(PKG) else None

    old = sys.gettrace()
    sys.settrace(calls)
    try:
        result = fn(*args)
    finally:
        sys.settrace(old)
    return count[0], result


def _chain(n):
    def f(x):
        y = x
        for _ in range(n):
            y = y + 1.0
        return y
    return f


def _ladder(n):
    def f(x):
        a, b = x, x * 2.0
        for _ in range(n // 2):
            a, b = b, a + b
        return b
    return f


def _mixed(n):
    # elementwise chains cut by reductions and a matmul every few ops
    def f(x):
        y = x
        for i in range(n // 4):
            y = tf.tanh(y * 0.5 + 1.0)
            if i % 8 == 7:
                y = y - tf.reduce_mean(y, axis=1, keepdims=True)
                y = tf.matmul(y, tf.ones([4, 4]) * 0.25)
        return y
    return f


def _loop_body(n):
    def f(x):
        def body(i, y):
            for _ in range(n):
                y = y * 0.999 + 0.001
            return i + 1, y
        return tf.while_loop(lambda i, y: i < 3, body, [0, x])[1]
    return f


def _graph(make, n):
    fn = tf.function(make(n), autograph=False)
    return fn.get_concrete_function(tf.TensorSpec([4, 4], tf.float32)).graph


def _per_pass_work(make, n):
    graph = _graph(make, n)
    work = {}
    for module in pipeline.PIPELINE:
        work[module.NAME], graph = _count_lines(module.run, graph)
    work["verifier"] = _count_lines(verify, graph)[0]
    return work


@pytest.mark.parametrize("make", [_chain, _ladder, _mixed, _loop_body])
def test_every_pass_does_work_linear_in_the_graph_size(make):
    small, large = _per_pass_work(make, SMALL), _per_pass_work(make, LARGE)
    ratios = {name: large[name] / max(small[name], 1) for name in small}
    slow = {name: round(r, 1) for name, r in ratios.items() if r > MAX_RATIO}
    assert not slow, f"passes whose work grows faster than the graph (4x ops): {slow}"


@pytest.mark.parametrize("make", [_chain, _mixed])
def test_tracing_and_lowering_do_work_linear_in_the_graph_size(make, monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    x = tf.ones([4, 4])

    def first_call(n):
        fn = tf.function(make(n), autograph=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return _count_lines(fn, x)[0]
    ratio = first_call(LARGE) / first_call(SMALL)
    assert ratio < MAX_RATIO, ratio


def test_a_long_chain_is_cut_into_fused_loops_of_bounded_size():
    graph = pipeline.run_pipeline(_graph(_chain, 1000))[0]
    bodies = [len(n.attrs["body"].nodes) for n in graph.nodes if n.op.name == "fusion"]
    assert sum(bodies) >= 1000
    assert max(bodies) <= elementwise_fusion.MAX_FUSED_OPS
    assert len(bodies) <= 2 * 1000 // elementwise_fusion.MAX_FUSED_OPS + 1


def test_a_long_chain_compiles_and_computes_the_eager_result(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_JIT_CACHE", "0")
    f = _chain(1000)
    x = tf.ones([4, 4])
    assert (tf.function(f, autograph=False)(x).numpy() == f(x).numpy()).all()
