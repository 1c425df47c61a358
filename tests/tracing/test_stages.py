"""ConcreteFunction stages: objects with `.name` and `.as_text()` whose texts are the ones the
older accessors (graph, optimized_graph, llvm_ir(), asm()) give."""
import pytest

import autograph_jit as tf


def _square_plus_one(x):
    return x * x + 1.0


def test_cpu_function_has_four_stages_in_compilation_order():
    cf = tf.function(_square_plus_one).get_concrete_function(tf.constant([1.0, 2.0]))
    stages = cf.stages()
    assert [s.name for s in stages] == ["graph", "optimized_graph", "llvm_ir", "asm"]


def test_each_stage_text_is_the_matching_accessors_text():
    x = tf.constant([1.0, 2.0])
    cf = tf.function(_square_plus_one).get_concrete_function(x)
    cf(x)
    graph, optimized, lowered, compiled = cf.stages()
    assert graph.as_text() == str(cf.graph)
    assert optimized.as_text() == str(cf.optimized_graph)
    assert lowered.as_text() == cf.llvm_ir()
    assert compiled.as_text() == cf.asm()
    assert compiled.llvm_ir() == cf.llvm_ir(optimized=True)
    assert str(lowered) == lowered.as_text()


def test_lower_then_compile_gives_the_llvm_ir_and_the_assembly():
    x = tf.constant([1.0, 2.0])
    cf = tf.function(_square_plus_one).get_concrete_function(x)
    cf(x)
    lowered = cf.lower()
    assert "define" in lowered.as_text()
    assert lowered.compile().as_text() == cf.asm()


def test_eager_backend_has_only_the_graph_stages_and_lower_says_why():
    cf = tf.function(_square_plus_one, backend="eager").get_concrete_function(tf.constant(1.0))
    assert [s.name for s in cf.stages()] == ["graph", "optimized_graph"]
    with pytest.raises(ValueError, match="lower\\(\\) needs the cpu backend"):
        cf.lower()
