"""The shared-memory collectives for workers on one machine (`multiprocessing.shared_memory`
for the payloads, the control mesh for the doorbells).

Protocol, per collective round k (every worker runs the same sequence of collectives):
1. each worker writes its payload into its own segment, half k % 2 (double buffering);
2. it sends every peer a doorbell (round, segment generation, half size, payload bytes);
3. it waits for every peer's doorbell (the mesh's deadline), maps a peer's segment when its
   generation changed, and reads the payloads in rank order.
One exchange per collective: a worker writing round k+2 into a half has seen every peer's
round k+1 doorbell, so every peer finished reading round k from it. A segment grows by making a
new generation; the old one is closed once its readers moved on, and a segment's name is
unlinked as soon as every peer mapped it, so a killed worker leaves nothing in /dev/shm.
Reductions add the payloads in rank order on every worker, so all workers get bit-identical
results.
"""
import atexit
import struct
import time
from multiprocessing import resource_tracker, shared_memory

import numpy as np

from ..errors import InvalidArgumentError

__all__ = ["ShmCommunicator"]

_BELL = struct.Struct("<QIQQ")   # round, generation, half size, payload bytes
_MIN_HALF = 1 << 16


def _untrack(shm):
    # a peer's segment, only mapped here: Python 3.11 registers it with this process's resource
    # tracker as if it owned it, which would unlink it (and warn) at exit
    try:
        resource_tracker.unregister(shm._name, "shared_memory")
    except Exception:  # noqa: BLE001 (a tracker that is gone has nothing to forget)
        pass


class ShmCommunicator:
    """All-gather, all-reduce and broadcast of NumPy arrays over shared memory.

    Example:
        comm = ShmCommunicator(mesh)
        total = comm.all_reduce_sum(np.ones(100_000, np.float32))
    """

    name = "shm"

    def __init__(self, mesh):
        self.mesh = mesh
        self.round = 0
        self._own = None          # (SharedMemory, generation, half size, round created)
        self._gen = 0
        self._retired = []        # own segments to close once their readers moved on
        self._peer = {}           # rank -> (generation, SharedMemory)
        self._stale = []          # peer mappings to close when no view uses them any more
        atexit.register(self.close)   # unlink a segment no peer has mapped yet

    def _segment_name(self, rank, pid, gen):
        return f"agj{self.mesh.fingerprint & 0xffffffff:08x}r{rank}p{pid}g{gen}"

    def _ensure(self, nbytes):
        if self._own is not None and nbytes <= self._own[2]:
            return
        half = max(_MIN_HALF, nbytes, 0 if self._own is None else 2 * self._own[2])
        self._gen += 1
        shm = shared_memory.SharedMemory(
            name=self._segment_name(self.mesh.rank, self.mesh.pid, self._gen), create=True,
            size=2 * half)   # tracked: unlink() forgets it, the tracker unlinks it on a crash
        if self._own is not None:
            self._retired.append(self._own)
        self._own = (shm, self._gen, half, self.round)

    def all_gather_bytes(self, payload, what):
        """Every worker's `payload` (a contiguous NumPy array, any size per worker) as uint8
        arrays in rank order. The arrays view shared memory: copy them before the next call."""
        mesh = self.mesh
        mesh.check()
        data = np.asarray(payload, order="C").reshape(-1).view(np.uint8)
        k = self.round
        half_index = k & 1
        self._ensure(data.nbytes)
        shm, gen, half, _ = self._own
        np.frombuffer(shm.buf, np.uint8, data.nbytes, half_index * half)[:] = data
        bell = _BELL.pack(k, gen, half, data.nbytes)
        what = f"{what} (collective #{k}, worker {mesh.rank})"
        for rank in mesh.peers:
            mesh.send(rank, bell, what)
        deadline = time.monotonic() + mesh.timeout
        out = [None] * mesh.size
        out[mesh.rank] = np.frombuffer(shm.buf, np.uint8, data.nbytes, half_index * half)
        for rank in sorted(mesh.peers):
            got = _BELL.unpack(mesh.recv(rank, _BELL.size, what, deadline))
            peer_round, peer_gen, peer_half, nbytes = got
            if peer_round != k:
                mesh._fail(InvalidArgumentError(
                    f"{what}: {mesh.describe(rank)} is at collective #{peer_round}: the workers "
                    "ran different sequences of collectives. Fix: make every worker run the "
                    "same program (the same steps, variables and reductions in the same order)."))
            out[rank] = np.frombuffer(self._map(rank, peer_gen), np.uint8, nbytes,
                                      half_index * peer_half)
        self.round += 1
        self._tidy()
        return out

    def _map(self, rank, gen):
        have = self._peer.get(rank)
        if have is None or have[0] != gen:
            shm = shared_memory.SharedMemory(
                name=self._segment_name(rank, self.mesh.peer_pid[rank], gen))
            _untrack(shm)
            if have is not None:
                self._stale.append(have[1])
            self._peer[rank] = have = (gen, shm)
        return have[1].buf

    def _tidy(self):
        shm, gen, half, created = self._own
        if created is not None and created < self.round - 1:
            shm.unlink()     # every peer mapped it (they all passed the round after it)
            self._own = (shm, gen, half, None)
        keep = []
        for seg in self._retired:   # readers of the retired segment have all moved on
            try:
                if seg[3] is not None:
                    seg[0].unlink()
                seg[0].close()
            except BufferError:
                keep.append(seg)
        self._retired = keep
        still = []
        for shm in self._stale:
            try:
                shm.close()
            except BufferError:
                still.append(shm)
        self._stale = still

    def all_reduce_sum(self, array, what="all-reduce"):
        """The elementwise sum of every worker's `array` (same shape and dtype everywhere),
        added in rank order, so every worker gets the same bits."""
        array = np.asarray(array, order="C")
        parts = self.all_gather_bytes(array, what)
        for rank, part in enumerate(parts):
            if part.nbytes != array.nbytes:
                self.mesh._fail(InvalidArgumentError(
                    f"{what}: {self.mesh.describe(rank)} sent {part.nbytes} bytes and worker "
                    f"{self.mesh.rank} {array.nbytes}: the workers reduce tensors of different "
                    "sizes. Fix: reduce the same shapes and dtypes on every worker."))
        views = [p.view(array.dtype).reshape(array.shape) for p in parts]
        out = np.add(views[0], views[1]) if len(views) > 1 else views[0].copy()
        for view in views[2:]:
            out += view
        del parts, views
        return out

    def broadcast(self, array, root, what="broadcast"):
        """Worker `root`'s `array` on every worker (the others' `array` gives shape/dtype)."""
        array = np.asarray(array, order="C")
        mine = array if self.mesh.rank == root else array.reshape(-1)[:0]
        parts = self.all_gather_bytes(mine, what)
        if parts[root].nbytes != array.nbytes:
            self.mesh._fail(InvalidArgumentError(
                f"{what}: {self.mesh.describe(root)} sent {parts[root].nbytes} bytes; worker "
                f"{self.mesh.rank} expected {array.nbytes}: the workers made different values "
                "(a variable of another shape?). Fix: create the same variables in the same "
                "order on every worker."))
        out = parts[root].view(array.dtype).reshape(array.shape).copy()
        del parts
        return out

    def close(self):
        """Unlink and unmap this worker's segments; unmap the peers'."""
        for seg in [self._own] + self._retired if self._own else self._retired:
            try:
                if seg[3] is not None:
                    seg[0].unlink()
                seg[0].close()
            except (BufferError, FileNotFoundError):
                pass
        for _, shm in self._peer.values():
            try:
                shm.close()
            except BufferError:
                pass
        self._own, self._retired, self._peer = None, [], {}
