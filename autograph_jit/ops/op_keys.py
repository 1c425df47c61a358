"""Tables keyed by OpDef: how backends' lowerings and passes' rules name the ops they handle.

A lowering table or a rewrite-rule table is looked up with the node's OpDef (`table.get(node.op)`),
never with its name string, as JAX keys its rules by the primitive object. The tables are written
with op names for readability; `by_op` / `op_set` turn them into OpDef keys when the table's
module is imported, and a name that is not a registered op raises there: a typo or a renamed op
fails loudly instead of silently never matching. This module imports the ops-layer modules that
register ops; a table naming `cond` / `while_loop` imports `ops.control_ops` (a layer above).

Ops registered above the ops layer (tf.py_function, tf.custom_gradient) cannot be named by a
table below them; the module defining such an op adds its own entry (`table[opdef] = rule`), as
JAX's `register_lowering(prim, rule)` does. `tests/ops/test_op_tables.py` checks every key of
every table is a registered OpDef.
"""
from . import (  # noqa: F401 - every ops-layer module that registers ops, so each name resolves
    array_ops, check_ops, conv_ops, einsum_ops, fusion_ops, gather_ops, io_ops, linalg_ops,
    math_ops, nn_ops, random_ops, slicing, state_ops, summary_ops, tensor_array, tiling)
from .opdef import REGISTRY

__all__ = ["by_op", "op_set", "op_of"]


def op_of(name):
    """The registered OpDef called `name`.

    Args:
      name: an op name, e.g. "reduce_sum".
    Returns:
      The OpDef.
    Raises:
      KeyError: naming the op, when no op of that name is registered.

    Example: `op_of("add").elementwise` is True.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a registered op: a table keyed by OpDef names an op "
                       f"that does not exist (a typo, or an op that was renamed)") from None


def by_op(table):
    """A dict written with op names, keyed by their OpDefs.

    Args:
      table: a mapping from op names (or OpDefs) to values.
    Returns:
      A new dict from OpDef to value.
    Raises:
      KeyError: when a name is not a registered op.

    Example: `LOWERINGS = by_op({"matmul": lower_matmul})`; then `LOWERINGS.get(node.op)`.
    """
    return {(op_of(k) if isinstance(k, str) else k): v for k, v in table.items()}


def op_set(names):
    """A frozenset of the OpDefs named by `names` (names or OpDefs).

    Example: `REDUCTIONS = op_set(["reduce_sum", "reduce_max"])`; then `node.op in REDUCTIONS`.
    """
    return frozenset(op_of(n) if isinstance(n, str) else n for n in names)
