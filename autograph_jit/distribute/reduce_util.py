"""`tf.distribute.ReduceOp`: how values from the replicas combine (SUM or MEAN)."""
import enum

__all__ = ["ReduceOp"]


class ReduceOp(enum.Enum):
    """TF's `tf.distribute.ReduceOp`: `SUM` adds the replicas' values, `MEAN` averages them.

    Example:
        strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica_loss, axis=None)

    >>> tf.distribute.ReduceOp.MEAN.value
    'MEAN'
    """

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        """The ReduceOp of a tf.VariableAggregation name ("SUM", "MEAN")."""
        name = getattr(aggregation, "name", aggregation)
        return ReduceOp(str(name).upper())


def as_reduce_op(op):
    """`op` (a ReduceOp or its name) as a ReduceOp; ValueError for anything else."""
    if isinstance(op, ReduceOp):
        return op
    if isinstance(op, str) and op.upper() in ("SUM", "MEAN"):
        return ReduceOp(op.upper())
    raise ValueError(f"reduce_op must be tf.distribute.ReduceOp.SUM or MEAN, got {op!r}")
