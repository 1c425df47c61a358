"""tf.keras.utils.plot_model / model_to_dot: the layer graph as DOT, rendered by Graphviz."""
import shutil

import pytest

import autograph_jit as tf

L = tf.keras.layers


def _two_input():
    a, b = tf.keras.Input((4,), name="a"), tf.keras.Input((3,), name="b")
    h = L.Dense(5, name="hidden")(a)
    out = L.Dense(2, name="out")(L.Concatenate(name="cat")([h, b]))
    return tf.keras.Model([a, b], out)


def test_model_to_dot_draws_functional_edges_and_shapes():
    dot = tf.keras.utils.model_to_dot(_two_input(), show_shapes=True)
    for edge in ('"a" -> "hidden"', '"hidden" -> "cat"', '"b" -> "cat"', '"cat" -> "out"'):
        assert edge in dot
    assert "cat (Concatenate)|output: (None, 8)" in dot
    assert dot.startswith('digraph "') and dot.rstrip().endswith("}")


def test_model_to_dot_chains_a_sequential_and_hides_names_on_request():
    model = tf.keras.Sequential([tf.keras.Input((3,)), L.Dense(2, name="d1"),
                                 L.Dense(1, name="d2")])
    dot = tf.keras.utils.model_to_dot(model, show_layer_names=False, rankdir="LR")
    assert '"d1" -> "d2"' in dot and "rankdir=LR" in dot
    assert 'label="{Dense}"' in dot
    with pytest.raises(ValueError, match="rankdir"):
        tf.keras.utils.model_to_dot(model, rankdir="XY")


def test_plot_model_writes_dot_source_without_graphviz(tmp_path):
    tf.keras.utils.plot_model(_two_input(), to_file=tmp_path / "m.dot")
    assert '"cat" -> "out"' in (tmp_path / "m.dot").read_text()


def test_plot_model_without_dot_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="install Graphviz"):
        tf.keras.utils.plot_model(_two_input(), to_file=tmp_path / "m.png")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed")
def test_plot_model_renders_a_png_with_graphviz(tmp_path):
    tf.keras.utils.plot_model(_two_input(), to_file=tmp_path / "m.png", show_shapes=True)
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
