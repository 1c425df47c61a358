"""ir/clone.py: a deep copy with fresh values, regions included, that prints the same."""
import numpy as np

import autograph_jit as tf
from autograph_jit.ir.clone import clone_graph

from .helpers import run, spec, trace


def _loop(x):
    i = tf.constant(0)
    _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0 + x), [i, x])
    return y


def test_clone_prints_identically_and_shares_no_value_or_node():
    g = trace(_loop, spec(3))
    c = clone_graph(g)
    assert str(c) == str(g)
    old_ids = {v.id for n in g.walk() for v in n.outputs} | {p.id for p in g.params}
    new_ids = {v.id for n in c.walk() for v in n.outputs} | {p.id for p in c.params}
    assert not old_ids & new_ids
    assert not {id(n) for n in g.walk()} & {id(n) for n in c.walk()}


def test_clone_copies_regions_so_editing_the_copy_leaves_the_original_alone():
    g = trace(_loop, spec(3))
    text = str(g)
    c = clone_graph(g)
    loop = next(n for n in c.nodes if n.op.name == "while_loop")
    loop.attrs["body"].nodes.clear()
    assert str(g) == text


def test_clone_runs_like_the_original():
    g = trace(_loop, spec(3))
    x = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_array_equal(run(clone_graph(g), x)[0], run(g, x)[0])


def test_clone_value_map_follows_values_across():
    g = trace(lambda x: x + 1.0, spec(2))
    vmap = {}
    c = clone_graph(g, vmap)
    assert vmap[g.results[0].id] is c.results[0]
    assert vmap[g.params[0].id] is c.params[0]
