"""The workers' control mesh: one TCP connection between every pair of workers of a cluster
(TF_CONFIG's addresses), made at startup and kept for the whole run.

It carries small messages only (hellos, the collectives' doorbells); payloads travel through
shared memory (comm_shm.py) or gloo (comm_gloo.py). Every wait has a deadline, so a peer that
died (its sockets close: `UnavailableError`) or stalls (no message in time:
`DeadlineExceededError`) fails the waiting worker with an error naming the peer, never a hang.
After the first failure the mesh is broken and every later call raises at once.
"""
import hashlib
import os
import socket
import struct
import time

from ..errors import DeadlineExceededError, InvalidArgumentError, UnavailableError

__all__ = ["Mesh", "host_id"]

_MAGIC = b"AGJ1"
_HELLO = struct.Struct("<4sIIQ32sI")   # magic, rank, world size, cluster fingerprint, host id, pid


def host_id():
    """32 bytes naming this machine (boot id and host name): equal ids share /dev/shm."""
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as f:
            boot = f.read().strip()
    except OSError:
        boot = b""
    return hashlib.sha256(boot + socket.gethostname().encode()).digest()


def fingerprint(addresses):
    """A 64-bit number naming a cluster (its ordered worker addresses)."""
    return int.from_bytes(hashlib.sha256("\n".join(addresses).encode()).digest()[:8], "little")


def _split(address):
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidArgumentError(f"tf.distribute: worker address {address!r} is not "
                                   "'host:port'. Fix: write TF_CONFIG's cluster addresses as "
                                   "'127.0.0.1:20000'.")
    return host.strip("[]"), int(port)


class Mesh:
    """Connections from worker `rank` to every other worker of `addresses`.

    Args:
      addresses: every worker's "host:port", in rank order (this worker listens on its own).
      rank: this worker's index.
      timeout: seconds any single wait may take (startup and each collective).

    Example:
        mesh = Mesh(["127.0.0.1:20000", "127.0.0.1:20001"], rank=0, timeout=30)
    """

    def __init__(self, addresses, rank, timeout):
        self.addresses = list(addresses)
        self.rank = rank
        self.size = len(self.addresses)
        self.timeout = float(timeout)
        self.fingerprint = fingerprint(self.addresses)
        self.host = host_id()
        self.pid = os.getpid()
        self.peers = {}        # rank -> socket
        self.peer_host = {}    # rank -> host id
        self.peer_pid = {}     # rank -> pid
        self.broken = None     # the first error, once the mesh failed
        if self.size > 1:
            self._connect()

    def describe(self, rank):
        """The words naming worker `rank` in errors: "worker R (host:port)"."""
        return f"worker {rank} ({self.addresses[rank]})"

    # -- startup ----------------------------------------------------------------------------------
    def _hello(self):
        return _HELLO.pack(_MAGIC, self.rank, self.size, self.fingerprint, self.host, self.pid)

    def _read_hello(self, sock, deadline):
        data = _recv_exact(sock, _HELLO.size, deadline)
        if data is None:
            return None
        magic, rank, size, fp, host, pid = _HELLO.unpack(data)
        if magic != _MAGIC or size != self.size or fp != self.fingerprint or rank >= size:
            return None
        return rank, host, pid

    def _connect(self):
        deadline = time.monotonic() + self.timeout
        host, port = _split(self.addresses[self.rank])
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((host, port))
        except OSError as e:
            listener.close()
            raise UnavailableError(
                f"tf.distribute: worker {self.rank} cannot listen on {self.addresses[self.rank]}"
                f" ({e}). Fix: give each worker a free port in TF_CONFIG.") from None
        listener.listen(self.size)
        try:
            for peer in range(self.rank):       # connect to the lower ranks
                self._dial(peer, deadline)
            while len(self.peers) < self.size - 1:   # the higher ranks connect to us
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [self.describe(r) for r in range(self.rank + 1, self.size)
                               if r not in self.peers]
                    raise DeadlineExceededError(
                        f"tf.distribute: {', '.join(missing)} did not connect to worker "
                        f"{self.rank} within {self.timeout:g} s. Fix: start every worker listed "
                        "in TF_CONFIG (each with its own task index), or raise the timeout.")
                listener.settimeout(left)
                try:
                    sock, _ = listener.accept()
                except socket.timeout:
                    continue
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                hello = self._read_hello(sock, min(deadline, time.monotonic() + 5))
                if hello is None or hello[0] <= self.rank or hello[0] in self.peers:
                    sock.close()   # not a worker of this cluster (or a duplicate): ignore it
                    continue
                sock.sendall(self._hello())
                self._add(sock, *hello)
        except BaseException:
            self.close()
            raise
        finally:
            listener.close()

    def _dial(self, peer, deadline):
        host, port = _split(self.addresses[peer])
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceededError(
                    f"tf.distribute: worker {self.rank} could not reach {self.describe(peer)} "
                    f"within {self.timeout:g} s. Fix: start every worker listed in TF_CONFIG, "
                    "check the addresses, or raise the timeout.")
            try:
                sock = socket.create_connection((host, port), timeout=min(left, 2.0))
            except OSError:
                time.sleep(0.05)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock.settimeout(max(0.01, left))
                sock.sendall(self._hello())
                hello = self._read_hello(sock, deadline)
            except OSError:
                hello = None
            if hello is None or hello[0] != peer:
                sock.close()
                time.sleep(0.05)
                continue
            self._add(sock, *hello)
            return

    def _add(self, sock, rank, host, pid):
        self.peers[rank] = sock
        self.peer_host[rank] = host
        self.peer_pid[rank] = pid

    def same_host(self):
        """True when every worker runs on this machine (shared memory reaches them all)."""
        return all(h == self.host for h in self.peer_host.values())

    # -- messages ---------------------------------------------------------------------------------
    def check(self):
        """Raise UnavailableError when an earlier collective failed (the group is broken)."""
        if self.broken is not None:
            raise UnavailableError(f"tf.distribute: the collective group failed earlier "
                                   f"({self.broken}); it cannot be used any more. Fix: restart "
                                   "every worker.")

    def send(self, rank, data, what):
        """Send `data` to worker `rank`; the errors name the peer and `what` was being done."""
        sock = self.peers[rank]
        try:
            sock.settimeout(self.timeout)
            sock.sendall(data)
        except socket.timeout:
            self._fail(DeadlineExceededError(
                f"{what}: {self.describe(rank)} did not read for {self.timeout:g} s. Fix: check "
                "that worker, or raise CommunicationOptions(timeout_seconds=...)."))
        except OSError as e:
            self._fail(self._gone(rank, what, e))

    def recv(self, rank, nbytes, what, deadline):
        """`nbytes` bytes from worker `rank` before `deadline` (time.monotonic())."""
        try:
            data = _recv_exact(self.peers[rank], nbytes, deadline)
        except OSError as e:
            self._fail(self._gone(rank, what, e))
        if data is None:
            if time.monotonic() >= deadline:
                self._fail(DeadlineExceededError(
                    f"{what}: {self.describe(rank)} did not arrive within {self.timeout:g} s: it "
                    "is stuck, much slower than this worker, or runs a different program. Fix: "
                    "check that worker's log, make every worker run the same steps, or raise "
                    "CommunicationOptions(timeout_seconds=...)."))
            self._fail(self._gone(rank, what, None))
        return data

    def _gone(self, rank, what, cause):
        detail = f" ({cause})" if cause else ""
        return UnavailableError(
            f"{what}: {self.describe(rank)} closed its connection{detail}: the process exited "
            "or crashed. Fix: look at that worker's log; restart every worker.")

    def _fail(self, error):
        self.broken = error
        raise error

    def close(self):
        """Close the connections to every peer."""
        for sock in self.peers.values():
            try:
                sock.close()
            except OSError:
                pass
        self.peers = {}


def _recv_exact(sock, nbytes, deadline):
    """Exactly `nbytes` bytes, or None on EOF or when the deadline passes."""
    buf = bytearray(nbytes)
    view = memoryview(buf)
    got = 0
    while got < nbytes:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            n = sock.recv_into(view[got:])
        except socket.timeout:
            return None
        if n == 0:
            return None
        got += n
    return bytes(buf)
