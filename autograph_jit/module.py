"""tf.Module: the module tree (variables, submodules) and its name scope; the name-scope stack
itself lives in name_scopes.py (re-exported here as `name_scope`, `current_name_scope`)."""
from .name_scopes import absolute_scope, current_name_scope, name_scope
from .variables import Variable

__all__ = ["Module", "AutoTrackable", "name_scope", "current_name_scope"]


def _camel_to_snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or
                                   (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class AutoTrackable:
    """Objects whose attributes are checkpoint dependencies (TF's AutoTrackable): setting an
    attribute that a `tf.train.Checkpoint.restore` found in the checkpoint before the object had
    it (deferred restoration) gives the new value the checkpoint's values."""

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        pending = self.__dict__.get("_self_checkpoint_deferred")
        if pending and name in pending:
            restoration, node_id = pending.pop(name)   # left by train/restore.py
            restoration.restore_child(node_id, value)


class Module(AutoTrackable):
    """TF's tf.Module: a named container whose attributes are walked for variables and
    submodules (`variables`, `trainable_variables`, `submodules`).

    >>> class Dense(tf.Module):
    ...     def __init__(self, n_in, n_out, name=None):
    ...         super().__init__(name=name)
    ...         self.w = tf.Variable(tf.ones([n_in, n_out]), name='w')
    ...         self.b = tf.Variable(tf.zeros([n_out]), name='b')
    ...     def __call__(self, x):
    ...         return x @ self.w + self.b
    >>> layer = Dense(3, 2, name='dense')
    >>> layer(tf.ones([1, 3])).numpy()
    array([[3., 3.]], dtype=float32)
    >>> [v.name for v in layer.trainable_variables]
    ['b:0', 'w:0']
    """

    def __init__(self, name=None):
        if name is None:
            name = _camel_to_snake(type(self).__name__)
        elif not name.replace("_", "a").replace(".", "a").isalnum():
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._set_name_unchecked(name)

    def _set_name_unchecked(self, name):
        self._name = name
        with name_scope(name) as scope:
            self._scope_name = scope

    @property
    def name(self):
        return self._name

    @property
    def name_scope(self):
        return absolute_scope(self._scope_name)

    @property
    def variables(self):
        return tuple(self._flatten(lambda x: _is_variable(x)))

    @property
    def trainable_variables(self):
        return tuple(self._flatten(lambda x: _is_variable(x) and x.trainable))

    @property
    def non_trainable_variables(self):
        return tuple(self._flatten(lambda x: _is_variable(x) and not x.trainable))

    @property
    def submodules(self):
        return tuple(self._flatten(lambda x: isinstance(x, Module)))

    def _flatten(self, predicate, recursive=True):
        """Walk attributes (sorted by name, as TF) depth-first, yielding matches once each."""
        seen = {id(self)}
        out = []

        def walk(obj, depth):
            attrs = vars(obj) if hasattr(obj, "__dict__") else {}
            for key in sorted(attrs):
                if key.startswith("_self_") or key in ("_scope_name", "_name"):
                    continue
                visit(attrs[key], depth)

        def visit(value, depth):
            if isinstance(value, (list, tuple)):
                for v in value:
                    visit(v, depth)
                return
            if isinstance(value, dict):
                for k in sorted(value, key=str):
                    visit(value[k], depth)
                return
            if id(value) in seen:
                return
            if predicate(value):
                seen.add(id(value))
                out.append(value)
            if isinstance(value, Module) and recursive:
                seen.add(id(value))
                walk(value, depth + 1)

        walk(self, 0)
        return out

    @classmethod
    def with_name_scope(cls, method):
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        wrapped.__name__ = method.__name__
        wrapped.__doc__ = method.__doc__
        return wrapped

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"


def _is_variable(x):
    return isinstance(x, Variable)
