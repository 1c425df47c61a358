"""Elementwise, reduction and matmul-epilogue fusion: the fusion op of contract 1, the passes
before/after, and the interpreter running fused graphs."""
import numpy as np

import autograph_jit as tf
from autograph_jit.ir.verifier import verify
from autograph_jit.passes import cse, elementwise_fusion, matmul_fusion, reduction_fusion

from .helpers import assert_same_results, ops, spec, trace

X = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)


def _fusions(graph):
    return [n for n in graph.nodes if n.op.name == "fusion"]


def _check_contract(node):
    body = node.attrs["body"]
    assert [p.type for p in body.params] == [v.type for v in node.inputs]
    assert [r.type for r in body.results] == [v.type for v in node.outputs]
    assert all(not n.has_effects for n in body.nodes)
    kind = node.attrs["kind"]
    names = [n.op.name for n in body.nodes]
    if kind == "elementwise":
        assert all(n.op.elementwise for n in body.nodes)
    elif kind == "reduction":
        assert names[-1].startswith("reduce_") and len(node.outputs) == 1
        assert all(n.op.elementwise for n in body.nodes[:-1])
    else:
        assert names[0] == "matmul" and len(node.outputs) == 1
        assert all(n.op.elementwise for n in body.nodes[1:])


def test_an_elementwise_chain_with_broadcast_inputs_becomes_one_fusion():
    g = trace(lambda x, b: tf.tanh(x * 0.5 + b) * tf.sigmoid(x), spec(3, 4), spec(4))
    after = elementwise_fusion.run(g)
    assert ops(after) == ["fusion"]
    (f,) = _fusions(after)
    _check_contract(f)
    assert f.attrs["label"] == "mul→add→tanh→sigmoid→mul"
    assert_same_results(g, after, X, np.arange(4, dtype=np.float32))


def test_intermediates_used_outside_become_extra_results():
    def f(x):
        y = tf.exp(x) + 1.0
        return y * 2.0, tf.reduce_sum(y)
    g = trace(f, spec(3, 4))
    after = elementwise_fusion.run(g)
    (fusion,) = _fusions(after)
    assert len(fusion.outputs) == 2
    _check_contract(fusion)
    assert_same_results(g, after, X)


def test_a_smaller_shape_producer_is_not_pulled_into_a_bigger_loop():
    def f(x, s):
        scale = tf.sqrt(s) * 2.0  # scalar work: must not run once per element of x
        return x * scale + 1.0
    g = trace(f, spec(3, 4), spec())
    after = elementwise_fusion.run(g)
    shapes = sorted(str(n.outputs[0].type) for n in _fusions(after))
    assert shapes == ["f32[3,4]", "f32[]"]
    assert_same_results(g, after, X, np.float32(4.0))


def test_fusion_never_groups_across_a_path_through_an_outside_node():
    def f(x, w):
        a = tf.exp(x)                       # elementwise
        m = tf.matmul(a, w)                 # outside node reading a
        return a + m                        # elementwise reading a and m
    g = trace(f, spec(3, 3), spec(3, 3))
    after = elementwise_fusion.run(g)
    verify(after)
    assert_same_results(g, after, X[:, :3], np.eye(3, dtype=np.float32))


def test_effects_between_elementwise_ops_keep_their_order():
    v = tf.Variable(np.zeros(4, np.float32))

    def f(x):
        y = x * 2.0
        v.assign(y)
        return v.read_value() + 1.0
    g = trace(f, spec(4))
    after = elementwise_fusion.run(g)
    verify(after)
    names = [n.op.name for n in after.nodes if n.op.name != "constant"]
    assert names.index("assign_variable") < names.index("read_variable")
    assert_same_results(g, after, np.arange(4, dtype=np.float32))


def test_reduction_fusion_folds_elementwise_producers_into_the_reduce():
    def f(y, p):
        return tf.reduce_mean(tf.square(y - p))
    g = trace(f, spec(3, 4), spec(3, 4))
    after = reduction_fusion.run(elementwise_fusion.run(g))
    assert ops(after) == ["fusion"]
    (fusion,) = _fusions(after)
    assert fusion.attrs["kind"] == "reduction"
    _check_contract(fusion)
    assert_same_results(g, after, X, X * 0.5, exact=False)


def test_a_producer_also_used_elsewhere_is_not_folded_into_the_reduction():
    def f(x):
        e = tf.exp(x)
        return tf.reduce_sum(e, 1), e
    after = reduction_fusion.run(trace(f, spec(3, 4)))
    assert ops(after) == ["exp", "reduce_sum"]


def test_matmul_bias_relu_become_one_matmul_fusion():
    def f(x, w, b):
        return tf.nn.relu(tf.matmul(x, w) + b)
    g = trace(f, spec(3, 4), spec(4, 2), spec(2))
    after = matmul_fusion.run(g)
    assert ops(after) == ["fusion"]
    (fusion,) = _fusions(after)
    assert fusion.attrs["kind"] == "matmul"
    assert fusion.attrs["label"] == "matmul→add→relu"
    _check_contract(fusion)
    w, b = np.ones((4, 2), np.float32), np.array([0.5, -9.0], np.float32)
    assert_same_results(g, after, X, w, b)


def test_the_epilogue_stops_at_a_value_used_twice():
    def f(x, w, b):
        z = tf.matmul(x, w) + b
        return tf.nn.relu(z), z
    after = matmul_fusion.run(trace(f, spec(3, 4), spec(4, 2), spec(2)))
    assert ops(after) == ["fusion", "relu"]
    assert _fusions(after)[0].attrs["label"] == "matmul→add"


def _relu_grad(g, w, h):
    # dh = (g @ w^T) * (h > 0), as the gradient of a ReLU after a dense layer traces
    return tf.where(h > 0.0, tf.matmul(g, w, transpose_b=True), tf.zeros_like(h))


def test_an_epilogue_operand_only_the_epilogue_reads_joins_the_matmul_fusion():
    g = trace(_relu_grad, spec(3, 2), spec(4, 2), spec(3, 4))
    after = matmul_fusion.run(g)
    (fusion,) = _fusions(after)
    names = [n.op.name for n in fusion.attrs["body"].nodes]
    assert names[0] == "matmul" and "greater" in names   # the mask kernel is gone
    assert "greater" not in ops(after)
    _check_contract(fusion)
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s).astype(np.float32) for s in ((3, 2), (4, 2), (3, 4))]
    assert_same_results(g, after, *arrays)


def test_a_compiled_relu_gradient_matches_numpy_with_the_mask_in_the_epilogue():
    rng = np.random.default_rng(1)
    gv, wv, hv = (rng.normal(size=s).astype(np.float32) for s in ((5, 3), (6, 3), (5, 6)))
    f = tf.function(_relu_grad)
    got = f(gv, wv, hv).numpy()
    np.testing.assert_allclose(got, np.where(hv > 0, gv @ wv.T, 0), rtol=1e-5, atol=1e-6)
    ir = f.get_concrete_function(gv, wv, hv).llvm_ir()
    assert "k_greater" not in ir


def test_an_epilogue_operand_read_elsewhere_stays_its_own_node():
    def f(g, w, h):
        mask = h > 0.0
        return tf.where(mask, tf.matmul(g, w, transpose_b=True), tf.zeros_like(h)), mask
    after = matmul_fusion.run(trace(f, spec(3, 2), spec(4, 2), spec(3, 4)))
    assert "greater" in ops(after)
    (fusion,) = _fusions(after)
    assert [n.op.name for n in fusion.attrs["body"].nodes][1] != "greater"


def test_a_matmul_operand_the_epilogue_also_reads_stays_its_own_node():
    def f(b, w):   # elu(b) feeds the matmul and the epilogue's add (fuzzer program 229)
        v = tf.nn.elu(b)
        return v + tf.matmul(v, w)
    g = trace(f, spec(3, 3), spec(3, 3))
    after = matmul_fusion.run(g)
    assert ops(after) == ["elu", "fusion"]
    rng = np.random.default_rng(2)
    assert_same_results(g, after, *(rng.normal(size=(3, 3)).astype(np.float32) for _ in "bw"))


def test_an_epilogue_operand_of_another_shape_stays_its_own_node():
    def f(g, w, v):   # the mask is [4], broadcast over the product's rows
        return tf.where(v > 0.0, tf.matmul(g, w, transpose_b=True), 0.0)
    g = trace(f, spec(3, 2), spec(4, 2), spec(4))
    after = matmul_fusion.run(g)
    assert "greater" in ops(after)


def test_a_lone_matmul_is_not_wrapped():
    after = matmul_fusion.run(trace(lambda a, b: tf.matmul(a, b), spec(2, 2), spec(2, 2)))
    assert ops(after) == ["matmul"]


def test_fusion_nodes_print_with_their_contents():
    g = trace(lambda x: tf.exp(x) * 2.0, spec(3))
    text = str(elementwise_fusion.run(g))
    assert "fusion[elementwise: exp→mul] %x, 2.0:f32 {" in text
    assert "body(" in text and "= exp " in text and "yield" in text


def test_fusion_inside_a_while_body():
    def f(x):
        return tf.while_loop(lambda v: tf.reduce_sum(v) < 100.0,
                             lambda v: (tf.abs(v) * 2.0 + 1.0,), [x])[0]
    g = trace(f, spec(3))
    after = elementwise_fusion.run(g)
    body = next(n for n in after.nodes if n.op.name == "while_loop").attrs["body"]
    assert [n.op.name for n in body.nodes if n.op.name != "constant"] == ["fusion"]
    assert_same_results(g, after, np.array([1.0, -2.0, 3.0], np.float32))


def test_groups_count_as_one_node_when_checking_for_cycles():
    # a = v + exp(x*0.1) is assigned to v, then an RNG draw follows (ordered after the assign);
    # b = w*2 feeds both u = draw + b and c = a + exp(b*0.1). Fusing {a, c} is legal only if b's
    # group does not also hold u: that group, as one fused node, would need the draw, hence the
    # assign, hence a. The pass must treat the other group as one node when checking.
    v, w = tf.Variable(np.zeros(2, np.float32)), tf.Variable(np.ones(2, np.float32))

    def f(x):
        v.assign_add(tf.exp(x * 0.1))
        b = w.read_value() * 2.0
        u = tf.random.uniform([2], seed=1) + b
        v.assign_add(tf.exp(b * 0.1))
        return u
    g = cse.run(trace(f, spec(2)))
    after = elementwise_fusion.run(g)
    verify(after)
    assert_same_results(g, after, np.array([0.5, 1.0], np.float32))
