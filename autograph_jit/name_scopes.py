"""Name scopes: the per-thread stack of scope prefixes that names variables (`dense/kernel:0`).

A leaf (it imports nothing of the package), so that `variables.py` (which names each new
Variable from the current scope) and `module.py` (tf.Module enters its scope while it builds)
both import it from below. `module.py` re-exports `name_scope` and `current_name_scope`
(`tf.name_scope`).
"""
import threading

__all__ = ["name_scope", "current_name_scope", "absolute_scope"]

_local = threading.local()


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current_name_scope():
    """The active scope prefix, e.g. 'outer/inner/' ('' at top level).

    Returns:
      The names of the open scopes, each followed by '/', joined.

    >>> with tf.name_scope('outer'):
    ...     with tf.name_scope('inner'):
    ...         print(tf.Variable(1.0, name='v').name)
    outer/inner/v:0
    """
    return "".join(getattr(_local, "stack", ()))


class name_scope:
    """`with tf.name_scope("dense"):` prefixes names of variables created inside.

    >>> with tf.name_scope('dense'):
    ...     v = tf.Variable(1.0, name='kernel')
    >>> v.name
    'dense/kernel:0'
    """

    def __init__(self, name, *args, **kwargs):
        self.name = name

    def __enter__(self):
        entry = "" if not self.name else (self.name if self.name.endswith("/") else self.name + "/")
        _stack().append(entry)
        return current_name_scope()

    def __exit__(self, *exc):
        _local.stack.pop()
        return False


class absolute_scope:
    """Re-enters a scope by its full prefix (so nesting does not double it): a tf.Module's
    `name_scope`, a Keras layer's build and call.

    Args:
      scope: the full prefix, e.g. 'model/dense/'.

    >>> with absolute_scope('model/dense/'):
    ...     with absolute_scope('model/dense/'):
    ...         print(current_name_scope())
    model/dense/
    """

    def __init__(self, scope):
        self.scope = scope

    def __enter__(self):
        stack = _stack()
        self._saved = list(stack)
        stack[:] = [self.scope]
        return self.scope

    def __exit__(self, *exc):
        _local.stack[:] = self._saved
        return False
