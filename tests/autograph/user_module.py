"""A user module for tests/autograph: functions a converted function calls from another file."""


def clipped_double(x):
    """Tensor-dependent control flow that must be converted when called from a tf.function."""
    if x > 10:
        return x * 0 + 10
    y = x
    while y < 4:
        y = y * 2
    return y
