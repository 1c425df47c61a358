"""`MirroredStrategy` (one machine; one replica per device, so one on the CPU, as in TF) and
`MultiWorkerMirroredStrategy` (one replica per worker process of TF_CONFIG's cluster), with
`CommunicationOptions` choosing and timing the collectives.

Collectives: on one machine, shared memory (comm_shm.py); across machines, torch.distributed's
gloo when torch is installed (comm_gloo.py). Every collective has a timeout
(`CommunicationOptions(timeout_seconds=...)`, default $AUTOGRAPH_JIT_COLLECTIVE_TIMEOUT or
300 s): a dead peer raises `tf.errors.UnavailableError`, a stalled one
`tf.errors.DeadlineExceededError`, each naming the worker.
"""
import enum
import os

from ..errors import InvalidArgumentError, UnavailableError
from .cluster import TFConfigClusterResolver
from .collectives import CollectiveGroup
from .distribute_lib import Strategy

__all__ = ["MirroredStrategy", "MultiWorkerMirroredStrategy", "CommunicationOptions",
           "CommunicationImplementation"]

_DEFAULT_TIMEOUT = 300.0


class CommunicationImplementation(enum.Enum):
    """TF's `tf.distribute.experimental.CommunicationImplementation`: AUTO (shared memory on
    one machine, gloo across machines), RING (gloo), NCCL (GPUs: not available here).

    >>> tf.distribute.experimental.CommunicationImplementation.AUTO.name
    'AUTO'
    """

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


class CommunicationOptions:
    """TF's `tf.distribute.experimental.CommunicationOptions`.

    Args:
      bytes_per_pack: accepted (gradients always travel as one buffer per dtype).
      timeout_seconds: the most any collective (and startup) may wait for a peer; None: the
        default ($AUTOGRAPH_JIT_COLLECTIVE_TIMEOUT, else 300 s). Never infinite.
      implementation: a CommunicationImplementation.

    Example:
        options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=60)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)

    >>> opts = tf.distribute.experimental.CommunicationOptions(timeout_seconds=30)
    >>> opts.timeout_seconds
    30
    """

    def __init__(self, bytes_per_pack=0, timeout_seconds=None,
                 implementation=CommunicationImplementation.AUTO):
        if timeout_seconds is not None and not timeout_seconds > 0:
            raise ValueError(f"timeout_seconds must be positive, got {timeout_seconds!r}")
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = CommunicationImplementation(
            getattr(implementation, "value", implementation))

    def timeout(self):
        if self.timeout_seconds is not None:
            return float(self.timeout_seconds)
        env = os.environ.get("AUTOGRAPH_JIT_COLLECTIVE_TIMEOUT", "")
        try:
            return float(env) if env else _DEFAULT_TIMEOUT
        except ValueError:
            raise InvalidArgumentError(f"AUTOGRAPH_JIT_COLLECTIVE_TIMEOUT={env!r} is not a "
                                       "number of seconds") from None


class MirroredStrategy(Strategy):
    """TF's `tf.distribute.MirroredStrategy`: synchronous training on the devices of one
    machine, one replica per device. This backend has one device, the CPU, so one replica (as
    TF on a machine without GPUs); `scope`, `run`, `reduce` and Keras `fit` work unchanged.

    Example:
        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            model = make_model(); model.compile("sgd", "mse")
        model.fit(x, y)

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> strategy.num_replicas_in_sync
    1
    >>> with strategy.scope():
    ...     v = tf.Variable(1.0)
    >>> float(strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: v * 2), axis=None))
    2.0
    """

    def __init__(self, devices=None, cross_device_ops=None):
        if devices is not None:
            devices = [devices] if isinstance(devices, str) else list(devices)
            bad = [d for d in devices if "cpu" not in str(d).lower()]
            if bad or len(devices) != 1:
                raise InvalidArgumentError(
                    f"MirroredStrategy: devices {devices} are not available: this build runs "
                    "one replica on the CPU ('/cpu:0'). Fix: leave `devices` out, or use "
                    "MultiWorkerMirroredStrategy with one process per replica.")
        super().__init__()


class MultiWorkerMirroredStrategy(Strategy):
    """TF's `tf.distribute.MultiWorkerMirroredStrategy`: synchronous data-parallel training
    over the worker processes of TF_CONFIG's cluster (one replica each); gradients are
    all-reduced once per step in one flat buffer.

    Every worker runs the same program with its own TF_CONFIG task index; the constructor
    connects to every peer (waiting at most the timeout for them to start).

    Example (each worker, with TF_CONFIG set):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        with strategy.scope():
            model = make_model(); model.compile("sgd", "mse")
        model.fit(x, y, batch_size=64)   # 64 per step across all workers

    >>> strategy = tf.distribute.MultiWorkerMirroredStrategy()  # no TF_CONFIG: one worker
    >>> strategy.num_replicas_in_sync
    1
    """

    def __init__(self, cluster_resolver=None, communication_options=None):
        resolver = cluster_resolver or TFConfigClusterResolver()
        options = communication_options or CommunicationOptions()
        addresses = resolver.worker_addresses()
        rank = resolver.rank()
        group = CollectiveGroup(None, 0, 1)
        if len(addresses) > 1:
            group = CollectiveGroup(_communicator(addresses, rank, options), rank,
                                    len(addresses))
        super().__init__(group)
        self.cluster_resolver = resolver
        self.communication_options = options

    def close(self):
        """Close the connections to the peers (done at exit too)."""
        comm = self._group.comm
        if comm is not None:
            comm.close()
            comm.mesh.close()


def _communicator(addresses, rank, options):
    from .mesh import Mesh
    impl = options.implementation
    if impl is CommunicationImplementation.NCCL:
        raise UnavailableError("MultiWorkerMirroredStrategy: NCCL needs GPUs, which this build "
                               "does not drive. Fix: use CommunicationImplementation.AUTO.")
    choice = os.environ.get("AUTOGRAPH_JIT_COLLECTIVE", "").lower() or None
    mesh = Mesh(addresses, rank, options.timeout())
    try:
        if choice is None:
            choice = "shm" if impl is CommunicationImplementation.AUTO and mesh.same_host() \
                else "gloo"
        if choice == "shm":
            if not mesh.same_host():
                raise UnavailableError(
                    "MultiWorkerMirroredStrategy: shared-memory collectives need every worker on "
                    "this machine; the cluster spans machines. Fix: install torch (the gloo "
                    "collectives) or unset AUTOGRAPH_JIT_COLLECTIVE.")
            from .comm_shm import ShmCommunicator
            return ShmCommunicator(mesh)
        if choice == "gloo":
            from .comm_gloo import GlooCommunicator
            return GlooCommunicator(mesh)
        raise InvalidArgumentError(f"AUTOGRAPH_JIT_COLLECTIVE={choice!r}: expected 'shm' or "
                                   "'gloo'")
    except BaseException:
        mesh.close()
        raise
