"""Pictures: a ConcreteFunction's graph drawn by Graphviz (`cf.render_graph`, Jupyter's
`_repr_svg_`), fusion kernels as clusters in the DOT text, Keras `plot_model` through the same
renderer, a clear error without Graphviz, and the benchmarks' saved results and ratio plot."""
import json
import re
import shutil
import sys

import pytest

import autograph_jit as tf
from autograph_jit.ir import render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's `dot` is not installed (make test installs it)")


def _mlp_step():
    w = tf.Variable(tf.ones([4, 3]))

    @tf.function
    def step(x):
        return tf.reduce_sum(tf.tanh(tf.nn.relu(tf.matmul(x, w)) * 2.0 + 1.0))
    return step.get_concrete_function(tf.TensorSpec([None, 4], tf.float32))


def test_optimized_dot_draws_a_fusion_kernel_as_a_cluster_of_its_ops():
    dot = _mlp_step().to_dot("optimized")
    clusters = re.findall(r'label="(fusion[^"]*)"', dot)
    assert clusters and "ops, one kernel" in clusters[0]
    body = dot[dot.index("subgraph cluster_1"):]
    body = body[:body.index("\n  }")]
    for op in ("matmul", "relu", "tanh", "multiply"):
        assert f'label="{op}\\n' in body, op
    assert "reduce_sum" not in body  # a reduction ends the kernel: drawn outside it


def test_dot_edges_sit_outside_clusters_so_no_node_is_pulled_into_one():
    dot = _mlp_step().to_dot("optimized")
    depth = 0
    for line in dot.splitlines()[1:-1]:
        if line.strip().startswith("subgraph"):
            depth += 1
        elif line.strip() == "}":
            depth -= 1
        elif "->" in line:
            assert depth == 0, line


def test_dot_labels_edges_with_value_types_and_dashes_the_effect_token():
    dot = _mlp_step().to_dot("traced")
    assert 'label=" f32[?,4]"' in dot
    assert "style=dashed" in dot  # the variable read is ordered by the effect token


@needs_dot
def test_render_graph_returns_svg_and_png_bytes_and_writes_the_file(tmp_path):
    cf = _mlp_step()
    svg = cf.render_graph()
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg and b"matmul" in svg
    png = cf.render_graph(stage="traced", format="png", path=tmp_path / "g.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "g.png").read_bytes() == png


@needs_dot
def test_jupyter_displays_a_concrete_function_as_its_optimized_graph():
    cf = _mlp_step()
    svg = cf._repr_svg_()
    assert isinstance(svg, str) and "<svg" in svg and "one kernel" in svg


def test_render_graph_rejects_an_unknown_format_and_stage():
    cf = _mlp_step()
    with pytest.raises(ValueError, match="format must be one of"):
        cf.render_graph(format="bmpx")
    with pytest.raises(ValueError, match="stage must be"):
        cf.render_graph(stage="lowered")


def test_without_the_dot_program_rendering_names_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(tf.errors.GraphvizUnavailableError, match="apt-get install graphviz") as e:
        _mlp_step().render_graph()
    assert isinstance(e.value, tf.errors.UnavailableError) and isinstance(e.value, ImportError)


def test_without_the_graphviz_package_rendering_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(tf.errors.GraphvizUnavailableError, match=r"autograph_jit\[plot\]"):
        _mlp_step().render_graph(format="png")


@needs_dot
def test_plot_model_renders_through_the_same_renderer(tmp_path, monkeypatch):
    calls = []
    real = render.render_dot
    monkeypatch.setattr(render, "render_dot", lambda *a, **k: calls.append(k) or real(*a, **k))
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")])
    tf.keras.utils.plot_model(model, to_file=tmp_path / "m.svg", show_shapes=True,
                              show_layer_names=True)
    assert calls and calls[0]["format"] == "svg"
    assert "d (Dense)" in (tmp_path / "m.svg").read_text()


def _rows():
    from benchmarks.harness import Measurement, Row, Target
    return [Row("matmul", "64×64 f32", {"eager": Measurement(2e-3), "graph": Measurement(1e-3),
                                        "numpy": Measurement(5e-4)},
                targets=(Target("numpy", 2.0),), equal=True, notes=["a note"]),
            Row("checkpoint save", "1 MB", {"graph": Measurement(3e-3)},
                targets=(Target(None, 0.004),))]


def test_benchmark_results_round_trip_through_json(tmp_path):
    from benchmarks import plot
    plot.save_json(_rows(), "autograph_jit benchmarks — now\nmachine: test", tmp_path / "r.json")
    rows, header = plot.load_json(tmp_path / "r.json")
    assert header.startswith("autograph_jit benchmarks")
    assert rows[0].ratio("numpy") == pytest.approx(2.0) and rows[0].ratio("eager") == 0.5
    assert rows[0].targets[0].judge(rows[0]) is True and rows[1].ratio("eager") is None
    (tmp_path / "bad.json").write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="--save-json"):
        plot.load_json(tmp_path / "bad.json")


def test_benchmarks_cli_plots_saved_results_as_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from benchmarks import __main__ as bench, plot
    plot.save_json(_rows(), "autograph_jit benchmarks — now\nmachine: test", tmp_path / "r.json")
    assert bench.main(["--from-json", str(tmp_path / "r.json"),
                       "--plot", str(tmp_path / "ratios.png")]) == 0
    out = capsys.readouterr().out
    assert "matmul" in out and "0.5×" in out
    assert (tmp_path / "ratios.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
