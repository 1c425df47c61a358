"""`tf.data.Options`: pipeline settings (deterministic order, threading, optimizations).

The settings are recorded and merged as TF does; this implementation reads
`deterministic` (parallel map keeps input order either way) and
`experimental_optimization.map_and_batch_fusion` (map-batch fusion, on by default; False
turns it off for the whole pipeline).
"""


class _Group:
    def __init__(self, **fields):
        object.__setattr__(self, "_fields", dict(fields))

    def __getattr__(self, name):
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}") from None

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError(f"{type(self).__name__} has no option {name!r}")
        self._fields[name] = value

    def __eq__(self, other):
        return type(self) is type(other) and self._fields == other._fields

    def __repr__(self):
        return f"{type(self).__name__}({self._fields})"


class ThreadingOptions(_Group):
    """Represents options for dataset threading (`tf.data.Options().threading`).

    Fields: `private_threadpool_size` and `max_intra_op_parallelism` (None: the default).

    >>> options = tf.data.Options()
    >>> options.threading.private_threadpool_size = 2
    >>> options.threading.private_threadpool_size
    2
    """
    def __init__(self):
        super().__init__(private_threadpool_size=None, max_intra_op_parallelism=None)


class OptimizationOptions(_Group):
    def __init__(self):
        super().__init__(apply_default_optimizations=None, map_and_batch_fusion=None,
                         map_fusion=None, map_parallelization=None, parallel_batch=None,
                         shuffle_and_repeat_fusion=None, filter_fusion=None,
                         noop_elimination=None, inject_prefetch=None)


class DistributeOptions(_Group):
    def __init__(self):
        super().__init__(auto_shard_policy="AUTO", num_devices=None)


class Options(_Group):
    """TF's `tf.data.Options()`; set fields, then `ds.with_options(options)`.

    >>> options = tf.data.Options(); options.deterministic = False
    >>> ds = tf.data.Dataset.range(3).with_options(options)
    >>> ds.options().deterministic
    False
    """

    def __init__(self):
        super().__init__(deterministic=None, experimental_deterministic=None,
                         experimental_distribute=DistributeOptions(),
                         experimental_optimization=OptimizationOptions(),
                         threading=ThreadingOptions(), experimental_slack=None,
                         experimental_external_state_policy=None, autotune=None)

    def merge(self, options):
        """A new Options: `options`' set fields over this one's."""
        out = Options()
        for src in (self, options):
            for k, v in src._fields.items():
                if isinstance(v, _Group):
                    for kk, vv in v._fields.items():
                        if vv is not None:
                            setattr(out._fields[k], kk, vv)
                elif v is not None:
                    out._fields[k] = v
        return out


class AutoShardPolicy:
    """Represents the type of auto-sharding for distributed input pipelines.

    Constants `OFF` (-1), `AUTO` (0), `FILE` (1), `DATA` (2), `HINT` (3), as in TF, for
    `options.experimental_distribute.auto_shard_policy`.

    >>> tf.data.AutoShardPolicy.DATA
    2
    """
    OFF, AUTO, FILE, DATA, HINT = -1, 0, 1, 2, 3
