"""`tf.distribute`: synchronous data-parallel training. Replicas are processes: one on this
machine's CPU with `MirroredStrategy`, one per worker of TF_CONFIG's cluster with
`MultiWorkerMirroredStrategy`; collectives run over shared memory on one machine (gloo across
machines, with torch installed). See docs/scale_out.md.

    strategy = tf.distribute.MultiWorkerMirroredStrategy()   # reads TF_CONFIG
    with strategy.scope():
        model = make_model(); model.compile("adam", "mse")
    model.fit(x, y, batch_size=64)
"""
from types import SimpleNamespace as _Namespace

from .cluster import ClusterSpec, SimpleClusterResolver, TFConfigClusterResolver
from .distribute_lib import (
    InputContext, InputOptions, ReplicaContext, Strategy, StrategyExtended, ValueContext,
    get_cross_replica_context, get_replica_context, get_strategy, has_strategy,
    in_cross_replica_context)
from .input_lib import DistributedDataset
from .mirrored import (
    CommunicationImplementation, CommunicationOptions, MirroredStrategy,
    MultiWorkerMirroredStrategy)
from .reduce_util import ReduceOp

experimental = _Namespace(
    CommunicationOptions=CommunicationOptions,
    CommunicationImplementation=CommunicationImplementation,
    CollectiveCommunication=CommunicationImplementation,
    MultiWorkerMirroredStrategy=MultiWorkerMirroredStrategy,
    ValueContext=ValueContext)
cluster_resolver = _Namespace(
    TFConfigClusterResolver=TFConfigClusterResolver,
    SimpleClusterResolver=SimpleClusterResolver)

__all__ = ["ClusterSpec", "CommunicationImplementation", "CommunicationOptions",
           "DistributedDataset", "InputContext", "InputOptions", "MirroredStrategy",
           "MultiWorkerMirroredStrategy", "ReduceOp", "ReplicaContext", "Strategy",
           "StrategyExtended", "cluster_resolver", "experimental", "get_cross_replica_context",
           "get_replica_context", "get_strategy", "has_strategy", "in_cross_replica_context"]
