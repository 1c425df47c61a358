"""The cluster a worker belongs to, from the `TF_CONFIG` environment variable (TF's
`TFConfigClusterResolver`), e.g.

    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:20000", "127.0.0.1:20001"]},
                "task": {"type": "worker", "index": 0}}'

Workers are ranked chief first (a "chief" job, if any), then the "worker" job in order.
"""
import json
import os

from ..errors import InvalidArgumentError

__all__ = ["TFConfigClusterResolver", "ClusterSpec", "SimpleClusterResolver"]


class ClusterSpec:
    """TF's `tf.train.ClusterSpec`: job name -> list of "host:port" addresses.

    Example:
        ClusterSpec({"worker": ["127.0.0.1:20000", "127.0.0.1:20001"]}).num_tasks("worker")  # 2

    >>> spec = tf.distribute.ClusterSpec({"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]})
    >>> spec.num_tasks("worker")
    2
    """

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        self._jobs = {}
        for job, tasks in dict(cluster or {}).items():
            if isinstance(tasks, dict):
                tasks = [tasks[k] for k in sorted(tasks)]
            self._jobs[str(job)] = [str(t) for t in tasks]

    def as_dict(self):
        """The cluster as {job name: [addresses]}."""
        return {job: list(tasks) for job, tasks in self._jobs.items()}

    @property
    def jobs(self):
        """The job names ("chief", "worker", ...)."""
        return list(self._jobs)

    def num_tasks(self, job_name):
        """How many tasks job `job_name` has (0 when there is no such job)."""
        return len(self._jobs.get(job_name, []))

    def job_tasks(self, job_name):
        """The addresses of job `job_name`'s tasks, in index order."""
        return list(self._jobs.get(job_name, []))

    def __bool__(self):
        return bool(self._jobs)

    def __repr__(self):
        return f"ClusterSpec({self.as_dict()})"


class SimpleClusterResolver:
    """TF's `SimpleClusterResolver`: a fixed cluster, task type and index.

    Example:
        SimpleClusterResolver(ClusterSpec({"worker": addrs}), task_type="worker", task_id=1)
    """

    def __init__(self, cluster_spec, task_type=None, task_id=None, rpc_layer=None):
        self._spec = ClusterSpec(cluster_spec)
        self.task_type = task_type
        self.task_id = task_id
        self.rpc_layer = rpc_layer

    def cluster_spec(self):
        """The ClusterSpec."""
        return self._spec

    def worker_addresses(self):
        """Every participating task's address, in rank order (chief, then workers)."""
        spec = self._spec
        return spec.job_tasks("chief") + spec.job_tasks("worker")

    def rank(self):
        """This task's rank among `worker_addresses()`."""
        spec = self._spec
        if not spec:
            return 0
        if self.task_type == "chief":
            return int(self.task_id or 0)
        if self.task_type == "worker":
            index = int(self.task_id or 0)
            if index >= spec.num_tasks("worker"):
                raise InvalidArgumentError(
                    f"tf.distribute: task index {index} is out of range: the cluster has "
                    f"{spec.num_tasks('worker')} worker(s). Fix: TF_CONFIG's task.index must be "
                    "below the number of workers.")
            return spec.num_tasks("chief") + index
        raise InvalidArgumentError(
            f"tf.distribute: task type {self.task_type!r} does not train with "
            "MultiWorkerMirroredStrategy (only 'chief' and 'worker' tasks do). Fix: set "
            "TF_CONFIG's task.type to 'worker' (or 'chief').")


class TFConfigClusterResolver(SimpleClusterResolver):
    """TF's `tf.distribute.cluster_resolver.TFConfigClusterResolver`: the cluster of TF_CONFIG.

    Example:
        resolver = TFConfigClusterResolver()
        resolver.cluster_spec(), resolver.task_type, resolver.task_id
    """

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None):
        raw = os.environ.get("TF_CONFIG", "")
        try:
            config = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as e:
            raise InvalidArgumentError(f"tf.distribute: TF_CONFIG is not valid JSON ({e}). "
                                       "Fix: set it to a JSON object with 'cluster' and "
                                       "'task'.") from None
        task = config.get("task", {}) or {}
        super().__init__(config.get("cluster", {}),
                         task_type if task_type is not None else task.get("type"),
                         task_id if task_id is not None else task.get("index"),
                         rpc_layer or config.get("rpc_layer"))
        self.environment = environment or config.get("environment")
