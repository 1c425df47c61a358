"""`tf.distribute.Strategy`, its scope and the replica context: what every strategy shares.

A process runs one replica (replicas are processes); the strategy's `CollectiveGroup` joins the
replicas of all workers. `strategy.scope()` makes the strategy current: variables created under
it are mirrored (their initial values are broadcast from the first worker, so every replica
starts equal; identical all-reduced updates keep them equal), and `strategy.run(fn)` calls `fn`
in a replica context whose `all_reduce` crosses the workers.
"""
import contextlib
import threading

from .collectives import CollectiveGroup
from .. import variables
from ..tensor import convert_to_tensor
from .input_lib import distribute_dataset, DistributedDataset

__all__ = ["Strategy", "ReplicaContext", "get_strategy", "has_strategy", "get_replica_context",
           "in_cross_replica_context", "InputContext", "InputOptions"]

_state = threading.local()


def _stack():
    if not hasattr(_state, "scopes"):
        _state.scopes = []
        _state.replica = []
    return _state


class StrategyExtended:
    """TF's `strategy.extended`: facts about the workers (who checkpoints, the devices).

    >>> tf.distribute.MirroredStrategy().extended is not None
    True
    """

    def __init__(self, strategy):
        self._strategy = strategy

    @property
    def should_checkpoint(self):
        return self._strategy._group.rank == 0

    should_save_summary = should_checkpoint

    @property
    def worker_devices(self):
        return ("/job:worker/replica:0/task:%d/device:CPU:0" % self._strategy._group.rank,)

    @property
    def parameter_devices(self):
        return self.worker_devices

    def _in_multi_worker_mode(self):
        return self._strategy._group.size > 1


class Strategy:
    """TF's `tf.distribute.Strategy`: `scope`, `run`, `reduce`, `gather`,
    `experimental_distribute_dataset`, `distribute_datasets_from_function`,
    `num_replicas_in_sync`.

    Example:
        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            model = tf.keras.Sequential([tf.keras.layers.Dense(1)])

    >>> isinstance(tf.distribute.get_strategy(), tf.distribute.Strategy)
    True
    """

    def __init__(self, group=None):
        self._group = group or CollectiveGroup(None, 0, 1)
        self.extended = StrategyExtended(self)
        self.cluster_resolver = None

    @property
    def num_replicas_in_sync(self):
        """The number of replicas (processes) that take part in each step."""
        return self._group.size

    # -- scope ------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def scope(self):
        """Make this strategy current: `tf.distribute.get_strategy()` returns it, and variables
        created inside are mirrored across the workers (broadcast from the first worker)."""
        state = _stack()
        if state.scopes and state.scopes[-1] is not self and \
                not isinstance(state.scopes[-1], _DefaultStrategy):
            raise ValueError("Mixing different tf.distribute.Strategy objects: a scope of "
                             f"{type(state.scopes[-1]).__name__} is already open. Fix: open "
                             "one strategy's scope at a time.")
        state.scopes.append(self)
        hook = self._mirror_variable
        variables.CREATION_HOOKS.append(hook)
        try:
            yield self
        finally:
            variables.CREATION_HOOKS.remove(hook)
            state.scopes.pop()

    def _mirror_variable(self, variable):
        if self._group.size == 1:
            return
        value = self._group.broadcast_array(
            variable._value, 0, f"mirroring variable {variable.name} "
            f"{list(variable._value.shape)}")
        value.flags.writeable = False
        variable._value = value

    # -- replica functions ------------------------------------------------------------------------
    def run(self, fn, args=(), kwargs=None, options=None):
        """Call `fn(*args, **kwargs)` on this worker's replica, in a replica context
        (`tf.distribute.get_replica_context().all_reduce` reduces across the workers).

        Returns `fn`'s result on this replica (one replica per process, so no PerReplica
        wrapper, as TF with one local device)."""
        state = _stack()
        state.replica.append(ReplicaContext(self))
        try:
            with self.scope() if not state.scopes or state.scopes[-1] is not self \
                    else contextlib.nullcontext():
                return fn(*args, **(kwargs or {}))
        finally:
            state.replica.pop()

    def reduce(self, reduce_op, value, axis=None):
        """`value` reduced across the replicas (`axis`: also over that axis of each value).

        Example: `strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_loss, axis=None)`."""
        return self._group.reduce(reduce_op, value, axis, "strategy.reduce")

    def gather(self, value, axis):
        """Every replica's `value` concatenated along `axis` (in replica order)."""
        return self._group.all_gather(value, axis, "strategy.gather")

    def experimental_local_results(self, value):
        """The values on this worker's replicas: a tuple of one value per local replica."""
        return (value,)

    def experimental_distribute_values_from_function(self, value_fn):
        """`value_fn(ValueContext)` for this worker's replica."""
        return value_fn(ValueContext(self._group.rank, self._group.size))

    # -- input --------------------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        """This worker's part of `dataset` (batched with the global batch size): see
        `input_lib.distribute_dataset` for the sharding (TF's AutoShardPolicy)."""
        return distribute_dataset(dataset, self._group.rank, self._group.size, options)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """`dataset_fn(InputContext)`: the function builds this worker's dataset itself."""
        context = InputContext(self._group.size, self._group.rank, self._group.size)
        return DistributedDataset(dataset_fn(context))

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def __enter__(self):
        raise TypeError("Use `with strategy.scope():`, not `with strategy:`")

    def __copy__(self):   # one strategy per process: a copied model keeps it
        return self

    def __deepcopy__(self, memo):
        return self


class _DefaultStrategy(Strategy):
    """The strategy in effect outside any scope: one replica, no communication."""


_DEFAULT = None


def _default():
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = _DefaultStrategy()
    return _DEFAULT


class ReplicaContext:
    """TF's `tf.distribute.ReplicaContext`, the context inside `strategy.run`.

    Example:
        grads = tf.distribute.get_replica_context().all_reduce("MEAN", grads)

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> def step():
    ...     ctx = tf.distribute.get_replica_context()
    ...     return ctx.all_reduce(tf.distribute.ReduceOp.SUM, tf.constant(3.0))
    >>> float(strategy.run(step))
    3.0
    """

    def __init__(self, strategy):
        self.strategy = strategy

    @property
    def num_replicas_in_sync(self):
        return self.strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        return convert_to_tensor(self.strategy._group.rank)

    def all_reduce(self, reduce_op, value, options=None):
        """`value` (a tensor or structure of tensors) reduced across all replicas, in one
        exchange per dtype."""
        return self.strategy._group.all_reduce(reduce_op, value, "ReplicaContext.all_reduce")

    def all_gather(self, value, axis, options=None):
        """Every replica's `value` concatenated along `axis`."""
        return self.strategy._group.all_gather(value, axis, "ReplicaContext.all_gather")


class ValueContext:
    """TF's `tf.distribute.experimental.ValueContext`: which replica a value is for."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


class InputContext:
    """TF's `tf.distribute.InputContext`, given to `distribute_datasets_from_function`.

    Example:
        def dataset_fn(ctx):
            batch = ctx.get_per_replica_batch_size(64)
            return ds.shard(ctx.num_input_pipelines, ctx.input_pipeline_id).batch(batch)

    >>> ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1)
    >>> ctx.get_per_replica_batch_size(8)
    8
    """

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size):
        """`global_batch_size / num_replicas_in_sync`; ValueError when it does not divide."""
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError(f"The `global_batch_size` {global_batch_size} is not divisible by "
                             f"`num_replicas_in_sync` {self.num_replicas_in_sync}")
        return global_batch_size // self.num_replicas_in_sync

    def __repr__(self):
        return (f"tf.distribute.InputContext(input pipeline id {self.input_pipeline_id}, total: "
                f"{self.num_input_pipelines})")


class InputOptions:
    """TF's `tf.distribute.InputOptions` (accepted; prefetching is the dataset's own).

    >>> tf.distribute.InputOptions(experimental_fetch_to_device=False).experimental_fetch_to_device
    False
    """

    def __init__(self, experimental_fetch_to_device=None, experimental_replication_mode=None,
                 experimental_place_dataset_on_device=False,
                 experimental_per_replica_buffer_size=1):
        self.experimental_fetch_to_device = experimental_fetch_to_device
        self.experimental_replication_mode = experimental_replication_mode
        self.experimental_place_dataset_on_device = experimental_place_dataset_on_device
        self.experimental_per_replica_buffer_size = experimental_per_replica_buffer_size


def get_strategy():
    """The current `tf.distribute.Strategy` (the default one-replica strategy outside any
    scope).

    Example:
        with strategy.scope():
            assert tf.distribute.get_strategy() is strategy

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> with strategy.scope():
    ...     print(tf.distribute.get_strategy() is strategy)
    True
    """
    state = _stack()
    return state.scopes[-1] if state.scopes else _default()


def has_strategy():
    """True inside a non-default strategy's scope.

    >>> tf.distribute.has_strategy()
    False
    >>> with tf.distribute.MirroredStrategy().scope():
    ...     print(tf.distribute.has_strategy())
    True
    """
    state = _stack()
    return bool(state.scopes) and not isinstance(state.scopes[-1], _DefaultStrategy)


def in_cross_replica_context():
    """True inside a strategy's scope but outside `strategy.run`.

    >>> with tf.distribute.MirroredStrategy().scope():
    ...     print(tf.distribute.in_cross_replica_context())
    True
    """
    state = _stack()
    return bool(state.scopes) and not state.replica


def get_replica_context():
    """The ReplicaContext inside `strategy.run`; None in a scope outside it (cross-replica);
    the default strategy's replica context outside any scope.

    >>> tf.distribute.get_replica_context() is not None   # the default replica context
    True
    """
    state = _stack()
    if state.replica:
        return state.replica[-1]
    if state.scopes:
        return None
    return ReplicaContext(_default())


def get_cross_replica_context():
    """The current strategy in cross-replica context, else None.

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> with strategy.scope():
    ...     print(tf.distribute.get_cross_replica_context() is strategy)
    True
    """
    state = _stack()
    if state.replica:
        return None
    return get_strategy()


def model_strategy():
    """The strategy a Keras model made now belongs to (the current one inside a scope, else
    None)."""
    return get_strategy() if has_strategy() else None
