"""The pipeline: order, options (TF names and pass names, global and per function),
cf.optimized_graph / cf.explain(), and the traced graph left untouched."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.passes import pipeline
from autograph_jit.passes.pipeline import PASS_NAMES, enabled_passes, run_pipeline
from autograph_jit.passes.stats import count_nodes

from .helpers import spec, trace


@pytest.fixture(autouse=True)
def _reset_global_options():
    tf.config.optimizer.reset()
    yield
    tf.config.optimizer.reset()


def test_pipeline_order_follows_the_design():
    assert PASS_NAMES == ("verify", "constant_fold", "simplify", "cse", "licm", "dce",
                          "matmul_fusion", "elementwise_fusion", "reduction_fusion",
                          "buffer_plan")


@pytest.mark.parametrize("options,off", [
    ({"constant_folding": False}, {"constant_fold"}),
    ({"arithmetic_optimization": False}, {"simplify"}),
    ({"common_subgraph_elimination": False}, {"cse"}),
    ({"loop_optimization": False}, {"licm"}),
    ({"dependency_optimization": False}, {"dce"}),
    ({"disable_model_pruning": True}, {"dce"}),
    ({"function_optimization": False}, set()),
    ({"remapping": False}, {"matmul_fusion", "elementwise_fusion", "reduction_fusion"}),
    ({"elementwise_fusion": False}, {"elementwise_fusion"}),
    ({"disable_meta_optimizer": True}, set(PASS_NAMES)),
    ({"layout_optimizer": False}, set()),
])
def test_tf_option_names_switch_the_matching_passes(options, off):
    assert set(PASS_NAMES) - set(enabled_passes(options)) == off


def test_later_option_dicts_win():
    assert "cse" in enabled_passes({"cse": False}, {"common_subgraph_elimination": True})


def test_unknown_options_are_rejected_with_the_known_names():
    with pytest.raises(ValueError, match="unknown optimizer option 'constant_fold1ng'.*"
                                         "constant_folding"):
        tf.config.optimizer.set_experimental_options({"constant_fold1ng": False})
    with pytest.raises(ValueError, match="unknown optimizer option"):
        tf.function(lambda x: x, optimizer_options={"nope": True})


def test_global_options_are_read_back_and_apply_to_new_functions():
    tf.config.optimizer.set_experimental_options({"remapping": False})
    assert tf.config.optimizer.get_experimental_options() == {"remapping": False}
    f = tf.function(lambda x: tf.exp(x) * 2.0 + 1.0, backend="eager")
    cf = f.get_concrete_function(spec(3))
    assert not any(n.op.name == "fusion" for n in cf.optimized_graph.nodes)


def test_per_function_options_win_over_global_ones():
    tf.config.optimizer.set_experimental_options({"remapping": False})
    f = tf.function(lambda x: tf.exp(x) * 2.0 + 1.0, backend="eager",
                    optimizer_options={"remapping": True})
    cf = f.get_concrete_function(spec(3))
    assert [n.op.name for n in cf.optimized_graph.nodes] == ["constant", "constant", "fusion"]
    np.testing.assert_allclose(f(tf.constant([0.0, 1.0, 2.0])).numpy(),
                               np.exp([0.0, 1.0, 2.0]) * 2 + 1, rtol=1e-6)


def test_optimizing_leaves_the_traced_graph_as_traced():
    f = tf.function(lambda x: (x * 1.0 + 0.0) * tf.exp(tf.constant(0.0)), backend="eager")
    cf = f.get_concrete_function(spec(3))
    text = str(cf.graph)
    assert cf.optimized_graph is not cf.graph
    assert str(cf.graph) == text
    assert cf.optimized_graph is cf.optimized_graph  # computed once


def test_all_passes_off_still_returns_a_private_copy():
    g = trace(lambda x: x + 1.0, spec(2))
    out, steps = run_pipeline(g, ())
    assert out is not g and str(out) == str(g) and steps == []


def test_a_pass_that_breaks_the_graph_is_named(monkeypatch):
    from autograph_jit.errors import VerificationError
    from autograph_jit.passes import simplify

    def broken(graph):
        from autograph_jit.ir.clone import clone_graph
        g = clone_graph(graph)
        g.nodes.reverse()
        return g
    monkeypatch.setattr(simplify, "run", broken)
    with pytest.raises(VerificationError, match="after pass 'simplify'.*"
                                                "optimizer_options=\\{'simplify': False\\}"):
        run_pipeline(trace(lambda x: (x + 1.0) * 2.0, spec(2)))


def test_stage_times_list_every_pass_in_order():
    f = tf.function(lambda x: x * 2.0, backend="eager")
    cf = f.get_concrete_function(spec(2))
    cf.optimized_graph
    names = [n for n, _ in cf.stage_times]
    assert names[:2] == ["autograph convert", "trace"]
    assert names[2:2 + len(PASS_NAMES)] == ["pass " + p for p in PASS_NAMES]
    assert all(s >= 0 for _, s in cf.stage_times)


def test_explain_reads_as_a_handout_of_every_stage():
    def f(x, b):
        return tf.nn.relu(tf.matmul(x, x) + b) * 1.0
    cf = tf.function(f, backend="eager").get_concrete_function(spec(2, 2), spec(2))
    text = cf.explain(verbose=True)
    assert repr(text) == str(text)  # shows as text in a REPL
    assert text.startswith("How `f` is compiled (backend 'eager')")
    for name in PASS_NAMES:
        assert f". {name}: " in text
    assert "0. traced graph — " in text
    assert "fusion[matmul: matmul→add→relu]" in text
    assert "memory plan for f:" in text
    traced, optimized = count_nodes(cf.graph), count_nodes(cf.optimized_graph)
    assert text.rstrip().endswith(f"Summary: {traced} traced nodes → {optimized} optimized "
                                  f"({traced / optimized:.1f}x fewer).")
    assert "(-1 multiply" in text or "-1 multiply" in text


def test_explain_by_default_fits_one_screen_with_stage_times_and_pass_changes():
    def f(x, b):
        return tf.nn.relu(tf.matmul(x, x) + b) * 1.0
    cf = tf.function(f).get_concrete_function(spec(2, 2), spec(2))
    assert "not compiled yet" in cf.explain()
    cf(tf.ones([2, 2]), tf.ones([2]))
    text = cf.explain()
    assert repr(text) == str(text)
    assert len(str(text).splitlines()) <= 40
    traced, optimized = count_nodes(cf.graph), count_nodes(cf.optimized_graph)
    assert text.startswith(f"How `f` is compiled (backend 'cpu'): {traced} traced nodes → "
                           f"{optimized} optimized")
    assert "  total " in text and "Passes that changed the graph: " in text
    assert "matmul_fusion (" in text and "Backend" in text and "kernels" in text
    assert "DESIGN.md" not in text and "tests/" not in text


def test_explain_names_passes_switched_off():
    cf = tf.function(lambda x: x + 1.0, backend="eager",
                     optimizer_options={"cse": False}).get_concrete_function(spec(2))
    assert "Passes switched off: cse" in cf.explain()


def test_pipeline_module_documents_the_option_mapping():
    for key in pipeline.TF_OPTIONS:
        assert key in pipeline.__doc__


def test_a_pass_that_crashes_is_named_with_the_workaround(monkeypatch):
    from autograph_jit.passes import cse
    from autograph_jit.errors import OptimizerError

    def crash(graph):
        raise KeyError("boom")
    monkeypatch.setattr(cse, "run", crash)
    with pytest.raises(OptimizerError, match="pass 'cse' failed on function '<lambda>': "
                                             "KeyError.*optimizer_options=\\{'cse': False\\}"):
        run_pipeline(trace(lambda x: x + 1.0, spec(2)))


def test_the_verify_pass_does_not_walk_again_a_graph_the_tracer_verified(monkeypatch):
    from autograph_jit.passes import verify as verify_pass
    walked = []
    check = verify_pass.run
    monkeypatch.setattr(verify_pass, "run", lambda g: walked.append(g) or check(g))
    f = tf.function(lambda x: x * 2.0 + 1.0, backend="eager")
    cf = f.get_concrete_function(spec(2))
    assert cf.graph_verified
    cf.optimized_graph
    first = cf._pass_steps[0]
    assert walked == [] and first.name == "verify" and first.after is cf.graph
    run_pipeline(cf.graph)  # a caller that does not say it verified the graph: checked
    assert walked == [cf.graph]
