"""The optimizer's "done when": a seed-style MLP training step (784-100-10, softmax
cross-entropy, GradientTape, Adam) shrinks to at most a third of its traced nodes, and gives the
same results with every subset of passes.

Counting rule (passes/stats.py): every node counts once, constants included; nodes inside
cond/while_loop regions count too; a fusion node counts as one, whatever its body holds."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.passes import pipeline
from autograph_jit.passes.stats import count_nodes
from autograph_jit.runtime.interpreter import run_graph

from .mlp import make_mlp_step

# verify never changes a graph and buffer_plan only attaches a plan the interpreter does not read
# (test_buffer_plan_changes_no_node); the other eight make the subsets that matter
OPTIMIZING = tuple(n for n in pipeline.PASS_NAMES if n not in ("verify", "buffer_plan"))


def test_optimized_mlp_step_has_at_most_a_third_of_the_traced_nodes():
    step, _, _, (x, y) = make_mlp_step()
    cf = step.get_concrete_function(x, y)
    traced, optimized = count_nodes(cf.graph), count_nodes(cf.optimized_graph)
    assert traced >= 3 * optimized, (traced, optimized)
    kinds = sorted(n.attrs["kind"] for n in cf.optimized_graph.nodes if n.op.name == "fusion")
    assert kinds.count("matmul") >= 2 and kinds.count("elementwise") >= 4


def _run_step(graph, cf, x, y, start):
    """Run one training step of `graph` from variable values `start`; return the loss and the
    variables' values afterwards."""
    for v, value in zip(cf.variables, start):
        v.assign(value)
    raw = run_graph(graph, [x.numpy(), y.numpy(), None])
    return [raw[0]] + [v.numpy() for v in cf.variables]


def _assert_close(got, want, label):
    flat_got = np.concatenate([np.ravel(g) for g in got])
    flat_want = np.concatenate([np.ravel(w) for w in want])
    if not np.allclose(flat_got, flat_want, rtol=1e-6, atol=1e-7):
        np.testing.assert_allclose(flat_got, flat_want, rtol=1e-6, atol=1e-7, err_msg=label)


def test_every_subset_of_passes_gives_the_same_training_step():
    """All 2**8 subsets of the optimizing passes, in pipeline order. Subsets sharing a prefix of
    decisions share its graphs (passes never change their input), so this is 255 pass runs. The
    layers are 784-100-10 shrunk to 20-12-10: the traced graph has the same nodes (checked), so
    the passes make the same rewrites, and 256 interpreter runs stay fast."""
    step, _, _, (x, y) = make_mlp_step(sizes=(20, 12, 10))
    cf = step.get_concrete_function(x, y)
    big_step, _, _, big_xy = make_mlp_step()
    big = big_step.get_concrete_function(*big_xy).graph
    assert [n.op.name for n in big.walk()] == [n.op.name for n in cf.graph.walk()]
    start = [v.numpy() for v in cf.variables]
    want = _run_step(cf.graph, cf, x, y, start)
    modules = {m.NAME: m for m in pipeline.PIPELINE}
    checked = 0

    def explore(graph, k, chosen):
        nonlocal checked
        if k == len(OPTIMIZING):
            _assert_close(_run_step(graph, cf, x, y, start), want, f"passes {chosen}")
            checked += 1
            return
        explore(graph, k + 1, chosen)
        explore(modules[OPTIMIZING[k]].run(graph), k + 1, chosen + (OPTIMIZING[k],))
    explore(cf.graph, 0, ())
    assert checked == 2 ** len(OPTIMIZING)


@pytest.mark.parametrize("off", [None] + list(OPTIMIZING))
def test_training_with_backend_eager_matches_eager_python_with_each_pass_off(off):
    options = None if off is None else {off: False}
    step, params, _, (x, y) = make_mlp_step(optimizer_options=options)
    ref_step, ref_params, _, _ = make_mlp_step()
    losses = [float(step(x, y)) for _ in range(2)]
    tf.config.run_functions_eagerly(True)
    try:
        ref_losses = [float(ref_step(x, y)) for _ in range(2)]
    finally:
        tf.config.run_functions_eagerly(False)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for p, r in zip(params, ref_params):
        np.testing.assert_allclose(p.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)
    cf = step.get_concrete_function(x, y)
    ran = [name[len("pass "):] for name, _ in cf.stage_times if name.startswith("pass ")]
    assert ran == [n for n in pipeline.PASS_NAMES if n != off]


def test_buffer_plan_changes_no_node():
    step, _, _, (x, y) = make_mlp_step(sizes=(20, 12, 10))
    g = step.get_concrete_function(x, y).optimized_graph
    from autograph_jit.passes import buffer_plan
    planned = buffer_plan.run(g)
    assert str(planned) == str(g) and planned.memory_plan is not None
