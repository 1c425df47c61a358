"""Asserts on the GPU (tf.debugging.assert_*, AutoGraph `assert`): all(cond) is a device
reduction; its one element is read back and only a failing check runs the op on the host,
whose kernel builds eager's exact error from the data (as the CPU backend does).
"""
from ... import dtypes
from ..llvm.emit import bind_tokens
from .k_reduce import emit_reduce
from .plan import Cond, Host


def lower_assert(lw, node):
    cond_v = node.data_inputs[0]
    spec = lw.spec(cond_v)
    ok = lw.alloc_spec(dtypes.bool, ())
    emit_reduce(lw, node, "reduce_all", spec, tuple(range(len(spec.shape))), ok,
                [lw.view(cond_v)], lambda s, vals: vals[0], lw.annotate(node))
    report = Host(node, [lw.view(v) for v in node.data_inputs], [],
                  "runs only when the check fails, to raise eager's error")
    lw.steps.append(Cond(ok, [], [report]))
    bind_tokens(lw, node)


LOWERINGS = {"assert": lower_assert}

__all__ = ["LOWERINGS"]
