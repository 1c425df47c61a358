"""TF Serving's mapping from TF status codes (tf.errors.*) to HTTP status codes, and the JSON
error body `{"error": "..."}` that its REST API returns."""
import json

from .. import errors
from ..errors import PayloadTooLargeError

__all__ = ["http_status", "error_body", "PayloadTooLargeError"]

_HTTP = {
    errors.INVALID_ARGUMENT: 400, errors.FAILED_PRECONDITION: 400, errors.OUT_OF_RANGE: 400,
    errors.NOT_FOUND: 404, errors.ALREADY_EXISTS: 409, errors.ABORTED: 409,
    errors.PERMISSION_DENIED: 403, errors.UNAUTHENTICATED: 401,
    errors.RESOURCE_EXHAUSTED: 429, errors.UNIMPLEMENTED: 501, errors.UNAVAILABLE: 503,
    errors.DEADLINE_EXCEEDED: 504, errors.CANCELLED: 499,
}


def http_status(exc):
    """The HTTP status code TF Serving returns for exception `exc` (500 for anything that is not
    a tf.errors.OpError).

    Example:
        http_status(tf.errors.NotFoundError("no such model"))  # 404
    """
    code = getattr(exc, "http_status", None)
    if code is not None:
        return code
    if isinstance(exc, errors.OpError):
        return _HTTP.get(exc.error_code, 500)
    return 500


def error_body(message):
    """`{"error": message}` as UTF-8 JSON bytes."""
    return json.dumps({"error": str(message)}).encode("utf-8")
