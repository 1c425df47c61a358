"""The `fusion` OpDef: several ops the optimizer grouped into one node (contract 1).

A fusion node's inputs are its external data inputs and its outputs its results; its attributes:

- `kind`: "elementwise" (elementwise body nodes, inputs broadcast to the output shape, several
  results allowed), "reduction" (elementwise nodes feeding one reduce_* node, whose output is the
  single result) or "matmul" (a matmul followed by an elementwise epilogue; single result);
- `body`: a closed region Graph whose params are 1:1 with the inputs and whose results are 1:1
  with the outputs; body nodes are ordinary pure nodes in program order;
- `label`: short text for printouts, e.g. "mul→add→tanh".

Fusion nodes exist only in optimized graphs (passes/*_fusion.py make them after differentiation),
so the op has no gradient. The interpreter runs one by running its body; compiled backends lower
the body as one loop nest.
"""
from ..ir.graph import Graph
from ..errors import InvalidArgumentError
from .opdef import defop
from .replay import replay

KINDS = ("elementwise", "reduction", "matmul")


def _fusion_infer(in_types, kind, body, label):
    if kind not in KINDS:
        raise InvalidArgumentError(f"fusion: kind must be one of {KINDS}, got {kind!r}", "fusion")
    if not isinstance(body, Graph) or len(body.params) != len(in_types):
        raise InvalidArgumentError(
            f"fusion {label!r}: the body takes {len(getattr(body, 'params', ()))} params but the "
            f"node has {len(in_types)} inputs", "fusion")
    for i, (p, t) in enumerate(zip(body.params, in_types)):
        if p.type.dtype is not t.dtype or not p.type.shape.is_compatible_with(t.shape):
            raise InvalidArgumentError(f"fusion {label!r}: input {i} is {t} but body param {i} "
                                       f"is {p.type}", "fusion")
    return tuple(r.type for r in body.results)


def _fusion_interpret(node, inputs, run_graph):
    return run_graph(node.attrs["body"], inputs)


def _fusion_replay(attrs, args):
    return tuple(replay(attrs["body"], args))


fusion_op = defop("fusion", _fusion_infer, None, num_outputs=None, interpret=_fusion_interpret,
                  replay=_fusion_replay,
                  doc="Run region `body` (pure ops the optimizer fused) on the inputs.")


def fusion_label(nodes, limit=6):
    """'mul→add→tanh' from body nodes (long chains are elided in the middle)."""
    names = [_SHORT.get(n.op.name, n.op.name) for n in nodes]
    if len(names) > limit:
        names = names[:limit - 2] + [f"…{len(names) - limit + 1} more…", names[-1]]
    return "→".join(names)


_SHORT = {"multiply": "mul", "subtract": "sub", "divide": "div", "negative": "neg",
          "maximum": "max", "minimum": "min", "logical_and": "and", "logical_or": "or",
          "logical_not": "not", "greater": "gt", "greater_equal": "ge", "less": "lt",
          "less_equal": "le", "equal": "eq", "not_equal": "ne", "reduce_sum": "sum",
          "reduce_mean": "mean", "reduce_max": "max_r", "reduce_min": "min_r",
          "reduce_prod": "prod", "reduce_any": "any", "reduce_all": "all"}
