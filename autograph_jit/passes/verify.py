"""Type and shape verification (ir/verifier.py) as a pipeline stage.

It changes nothing: it checks SSA (each value defined once, before use), closed regions, the
effect-token discipline and that every node's output types agree with its op's type rule. The
pipeline also re-verifies after every other pass, so a pass that breaks the graph is named in
the error instead of surfacing later as a wrong answer.
"""
from ..ir.verifier import verify as _verify

NAME = "verify"
SUMMARY = "check SSA, closed regions, effect tokens and every node's types"


def verify(graph):
    return _verify(graph)


run = verify
