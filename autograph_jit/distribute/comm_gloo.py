"""Collectives across machines on torch.distributed's gloo backend (the optional `torch`
dependency): the same interface as comm_shm.ShmCommunicator.

The first worker picks a free port for gloo's rendezvous store and sends it over the control
mesh; gloo's own timeout bounds every collective. A gloo failure is mapped to TF's errors: a
timeout to `DeadlineExceededError`, a closed connection to `UnavailableError`, naming the peers
the control mesh finds gone.
"""
import datetime
import select
import socket
import struct
import time

import numpy as np

from ..errors import DeadlineExceededError, InvalidArgumentError, UnavailableError

__all__ = ["GlooCommunicator"]


def _torch():
    try:
        import torch
        import torch.distributed as dist
    except ImportError:
        raise UnavailableError(
            "MultiWorkerMirroredStrategy: collectives across machines use torch.distributed's "
            "gloo backend, and torch is not installed. Fix: `pip install torch` (the CPU build), "
            "or run every worker on one machine (shared-memory collectives).") from None
    if not dist.is_available():
        raise UnavailableError("torch.distributed is not available in this torch build")
    return torch, dist


class GlooCommunicator:
    """All-gather, all-reduce and broadcast of NumPy arrays with gloo.

    Example:
        comm = GlooCommunicator(mesh)
        total = comm.all_reduce_sum(np.ones(10, np.float32))
    """

    name = "gloo"

    def __init__(self, mesh):
        self.mesh = mesh
        self.torch, self.dist = _torch()
        port = struct.Struct("<I")
        deadline = time.monotonic() + mesh.timeout
        if mesh.rank == 0:
            with socket.socket() as probe:
                probe.bind((mesh.addresses[0].rpartition(":")[0].strip("[]"), 0))
                free = probe.getsockname()[1]
            for peer in mesh.peers:
                mesh.send(peer, port.pack(free), "gloo rendezvous")
        else:
            free = port.unpack(mesh.recv(0, port.size, "gloo rendezvous", deadline))[0]
        host = mesh.addresses[0].rpartition(":")[0].strip("[]")
        store = self.dist.TCPStore(host, free, mesh.size, mesh.rank == 0,
                                   timeout=datetime.timedelta(seconds=mesh.timeout))
        self.group = self.dist.ProcessGroupGloo(
            store, mesh.rank, mesh.size, datetime.timedelta(seconds=mesh.timeout))

    def _run(self, what, work):
        self.mesh.check()
        try:
            return work()
        except RuntimeError as e:
            text = str(e)
            gone = [self.mesh.describe(r) for r in self._dead_peers()]
            who = ", ".join(gone) if gone else "a peer"
            if "timeout" in text.lower() or "timed out" in text.lower():
                error = DeadlineExceededError(
                    f"{what}: {who} did not take part within {self.mesh.timeout:g} s (gloo: "
                    f"{text.splitlines()[0]}). Fix: check that worker, or raise "
                    "CommunicationOptions(timeout_seconds=...).")
            else:
                error = UnavailableError(
                    f"{what}: {who} failed or closed its connection (gloo: "
                    f"{text.splitlines()[0]}). Fix: look at that worker's log; restart every "
                    "worker.")
            self.mesh.broken = error
            raise error from None

    def _dead_peers(self):
        dead = []
        for rank, sock in self.mesh.peers.items():
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        dead.append(rank)
                except OSError:
                    dead.append(rank)
        return dead

    def all_reduce_sum(self, array, what="all-reduce"):
        """The elementwise sum of every worker's `array` (gloo's ring all-reduce)."""
        array = np.array(array, copy=True, order="C")
        tensor = self.torch.from_numpy(array)
        self._run(what, lambda: self.group.allreduce([tensor]).wait())
        return array

    def broadcast(self, array, root, what="broadcast"):
        """Worker `root`'s `array` on every worker."""
        array = np.array(array, copy=True, order="C")
        tensor = self.torch.from_numpy(array.reshape(-1).view(np.uint8))
        opts = self.dist.BroadcastOptions()
        opts.rootRank = root
        self._run(what, lambda: self.group.broadcast([tensor], opts).wait())
        return array

    def all_gather_bytes(self, payload, what):
        """Every worker's `payload` bytes (sizes may differ) as uint8 arrays in rank order."""
        data = np.asarray(payload, order="C").reshape(-1).view(np.uint8)
        sizes = np.zeros(self.mesh.size, np.int64)
        sizes[self.mesh.rank] = data.nbytes
        sizes = self.all_reduce_sum(sizes, what)
        width = int(sizes.max()) if sizes.size else 0
        padded = np.zeros(max(width, 1), np.uint8)
        padded[:data.nbytes] = data
        outs = [self.torch.zeros(max(width, 1), dtype=self.torch.uint8)
                for _ in range(self.mesh.size)]
        self._run(what, lambda: self.group.allgather(
            [outs], [self.torch.from_numpy(padded)]).wait())
        if len(outs) != self.mesh.size:
            raise InvalidArgumentError(f"{what}: gloo returned {len(outs)} parts")
        return [o.numpy()[:int(n)] for o, n in zip(outs, sizes)]

    def close(self):
        """Drop the process group (its sockets close with it)."""
        self.group = None
