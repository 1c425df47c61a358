"""Counting nodes the way the optimizer reports them, and describing what a pass changed.

The counting rule (used by explain() and the tests): every node counts once, constants included;
nodes inside cond/while_loop regions count too; a fusion node counts as one node whatever its
body holds — it runs as one loop.
"""
from collections import Counter

__all__ = ["count_nodes", "op_histogram", "describe_change"]


def _walk(graph):
    for node in graph.nodes:
        yield node
        if node.op.name == "fusion":
            continue
        for region in node.regions.values():
            yield from _walk(region)


def count_nodes(graph):
    return sum(1 for _ in _walk(graph))


def op_histogram(graph):
    return Counter(_op_key(n) for n in _walk(graph))


def _op_key(node):
    if node.op.name == "fusion":
        return f"fusion[{node.attrs['kind']}]"
    return node.op.name


def describe_change(before, after):
    """'-4 read_variable, -9 multiply, +3 fusion[elementwise]' (largest changes first)."""
    delta = op_histogram(after)
    delta.subtract(op_histogram(before))
    items = sorted(((n, op) for op, n in delta.items() if n), key=lambda t: (-abs(t[0]), t[1]))
    return ", ".join(f"{n:+d} {op}" for n, op in items)
