"""Server-side batching (TF Serving's `--enable_batching`): requests for the same model version
and signature are queued, merged along the batch dimension (up to `max_batch_size`, waiting at
most `batch_timeout_micros` for more), padded to the next of `allowed_batch_sizes` and, with
`pad_variable_length_inputs`, to a common length in the other dimensions; `num_batch_threads`
threads run the merged batches and split the outputs back to each request."""
import collections
import threading
import time

import numpy as np

from ..errors import InternalError, InvalidArgumentError, UnavailableError
from .batching_config import BatchingParameters

__all__ = ["BatchScheduler"]


class _Task:
    __slots__ = ("inputs", "size", "enqueued", "done", "result", "error")

    def __init__(self, inputs, size):
        self.inputs = inputs
        self.size = size
        self.enqueued = time.monotonic()
        self.done = threading.Event()
        self.result = None
        self.error = None


class BatchScheduler:
    """A shared batch scheduler: `submit(key, run, inputs)` blocks until the batch holding these
    inputs ran; `run(merged_inputs) -> outputs` is called by a batch thread.

    Example:
        s = BatchScheduler(BatchingParameters(max_batch_size=8, batch_timeout_micros=500))
        out = s.submit(("mlp", 1, "serving_default"), servable_run, {"x": x})
        s.stop()
    """

    def __init__(self, params=None):
        self.params = (params or BatchingParameters()).validate()
        self._cond = threading.Condition()
        self._queues = {}    # key -> deque of _Task
        self._sizes = {}     # key -> total size queued
        self._runs = {}      # key -> run function
        self._stopping = False
        self.batches_run = 0  # statistics, for tests and benchmarks
        self._threads = [threading.Thread(target=self._worker, name=f"batch-{i}", daemon=True)
                         for i in range(self.params.num_batch_threads)]
        for t in self._threads:
            t.start()

    def submit(self, key, run, inputs):
        """Queue `inputs` (dict name -> array, same first dimension) and wait for the outputs."""
        sizes = {int(np.shape(v)[0]) if np.ndim(v) else -1 for v in inputs.values()}
        if len(sizes) != 1 or -1 in sizes:
            raise InvalidArgumentError(
                "Batching session Run() input tensors must have equal 0th-dimension size; got "
                + ", ".join(f"{k}: {np.shape(v)}" for k, v in inputs.items()))
        size, = sizes
        p = self.params
        if size > p.max_batch_size:
            raise InvalidArgumentError(f"Task size {size} is larger than maximum input batch "
                                       f"size {p.max_batch_size}")
        task = _Task(inputs, size)
        with self._cond:
            if self._stopping:
                raise UnavailableError("the batch scheduler is shutting down")
            queued = self._sizes.get(key, 0)
            if queued + size > p.max_enqueued_batches * p.max_batch_size:
                raise UnavailableError("The batch scheduling queue to which this task was "
                                       "submitted is full")
            self._queues.setdefault(key, collections.deque()).append(task)
            self._sizes[key] = queued + size
            self._runs[key] = run
            self._cond.notify()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

    def stop(self):
        """Run what is queued, then stop the batch threads."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for t in self._threads:
            t.join()

    def _next_batch(self):
        timeout = self.params.batch_timeout_micros / 1e6
        with self._cond:
            while True:
                ready = [(q[0].enqueued, k) for k, q in self._queues.items() if q]
                if not ready:
                    if self._stopping:
                        return None
                    self._cond.wait()
                    continue
                oldest, key = min(ready, key=lambda x: x[0])
                wait = oldest + timeout - time.monotonic()
                if self._sizes[key] >= self.params.max_batch_size or wait <= 0 or \
                        self._stopping:
                    q, tasks, total = self._queues[key], [], 0
                    while q and total + q[0].size <= self.params.max_batch_size:
                        task = q.popleft()
                        tasks.append(task)
                        total += task.size
                    self._sizes[key] -= total
                    return key, tasks
                self._cond.wait(wait)

    def _worker(self):
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            key, tasks = batch
            try:
                self._run(self._runs[key], tasks)
            except Exception as e:  # noqa: BLE001 - delivered to every waiting request
                for t in tasks:
                    t.error = e
            finally:
                for t in tasks:
                    t.done.set()

    def _run(self, run, tasks):
        p = self.params
        total = sum(t.size for t in tasks)
        target = next((s for s in p.allowed_batch_sizes if s >= total), total)
        merged = {}
        for name in tasks[0].inputs:
            parts = [np.asarray(t.inputs[name]) for t in tasks]
            if p.pad_variable_length_inputs:
                parts = _pad_to_common(parts)
            elif len({a.shape[1:] for a in parts}) > 1:
                raise InvalidArgumentError(
                    f"input {name!r}: requests batched together have shapes "
                    f"{[a.shape for a in parts]}; set pad_variable_length_inputs: true to pad "
                    "them to a common shape")
            arr = np.concatenate(parts) if len(parts) > 1 else parts[0]
            if target > total:  # TF pads with copies of the first example
                arr = np.concatenate([arr, np.repeat(arr[:1], target - total, axis=0)])
            merged[name] = arr
        outputs = run(merged)
        self.batches_run += 1
        for name, out in outputs.items():
            if np.ndim(out) == 0 or np.shape(out)[0] != target:
                raise InternalError(f"output {name!r} of shape {np.shape(out)} has no batch "
                                    f"dimension of size {target}; a batched model's outputs "
                                    "must be batched along dimension 0")
        start = 0
        for t in tasks:
            t.result = {k: v[start:start + t.size] for k, v in outputs.items()}
            start += t.size


def _pad_to_common(parts):
    ranks = {a.ndim for a in parts}
    if len(ranks) != 1:
        raise InvalidArgumentError(f"requests batched together have different ranks {ranks}")
    full = np.max([a.shape for a in parts], axis=0)
    out = []
    for a in parts:
        pad = [(0, 0)] + [(0, int(f) - s) for f, s in zip(full[1:], a.shape[1:])]
        out.append(np.pad(a, pad) if any(p[1] for p in pad) else a)
    return out
