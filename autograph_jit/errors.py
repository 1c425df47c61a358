"""`tf.errors`: the exception types ops raise."""
from .ops.opdef import InvalidArgumentError, OpError  # noqa: F401


class OutOfRangeError(OpError, IndexError):
    """Raised when iteration runs past the end (e.g. of a dataset)."""


class UnimplementedError(OpError):
    """Raised when an operation is not supported on these inputs."""


class FailedPreconditionError(OpError):
    """Raised when state is not ready for the operation (e.g. an uninitialized value)."""


class NotFoundError(OpError):
    """Raised when a requested entity (a file, a checkpoint, a tensor key) does not exist."""


class DataLossError(OpError):
    """Raised when unrecoverable data loss or corruption is found (e.g. a bad checksum)."""
