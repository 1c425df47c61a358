"""Nested tf.functions arrive inlined (no call op exists, so no inline pass) and the verify pass."""
import pytest

import autograph_jit as tf
from autograph_jit.ir.graph import Graph
from autograph_jit.errors import VerificationError
from autograph_jit.ops.opdef import REGISTRY
from autograph_jit.passes import verify

from .helpers import spec, trace


@tf.function
def _inner(x):
    return x * 2.0


def _outer(x):
    return _inner(x) + 1.0


def test_nested_function_calls_are_inlined_by_tracing():
    g = trace(_outer, spec(3))
    assert [n.op.name for n in g.nodes if n.op.name != "constant"] == ["multiply", "add"]


def test_no_registered_op_is_a_call_that_an_inline_pass_would_have_to_expand():
    # region-holding ops are control flow (cond, while_loop) or optimizer-made (fusion)
    region_ops = {name for name, op in REGISTRY.items() if op.interpret is not None}
    assert region_ops <= {"cond", "while_loop", "fusion"}


def test_verify_pass_returns_a_sound_graph_unchanged():
    g = trace(_outer, spec(3))
    assert verify.run(g) is g


def test_verify_pass_rejects_a_use_before_definition():
    g = trace(lambda x: (x + 1.0) * 2.0, spec(3))
    broken = Graph(g.name, g.params, list(reversed(g.nodes)), g.results)
    with pytest.raises(VerificationError, match="used before it is defined"):
        verify.run(broken)
