"""tf.Variable: named, mutable state read and written through the `read_variable` and
`assign_variable` ops (so reads/writes are recorded by tapes and traced into graphs)."""
import itertools

import numpy as np

from . import dtypes as _dtypes
from .ops import eager_cache as _eager_cache
from .ops import operators as _operators
from .ops import recording as _recording
from .ops._args import VARIABLE_TYPES
from .ops.opdef import apply
from .ops.state_ops import assign_variable, read_variable
from .tensor import (EagerTensor, Tensor, _python_to_array, convert_to_tensor, numpy_text,
                     _TensorRef, constant_value)
from .name_scopes import current_name_scope
from .tensor_shape import TensorShape
from .tracing import context as _context
from .variable_locks import begin_write as _begin_write, end_write as _end_write
from .variable_locks import eager_writing as _eager_writing
from .ops.math_ops import add, subtract
from .ops.slicing import variable_getitem

__all__ = ["Variable"]

_uid = itertools.count()
_LOCAL = _context._local
_TAPES = _recording.ACTIVE_TAPES
_new = object.__new__

# Functions called with each new Variable once it is made (tf.distribute's scope mirrors the
# variables created under it: their initial values are broadcast from the first worker).
CREATION_HOOKS = []


class Variable:
    """TF's `tf.Variable(initial_value, trainable=True, name=None, dtype=None, shape=None)`.

    >>> v = tf.Variable([1.0, 2.0], name='v')
    >>> v.assign_add([1.0, 1.0]).numpy()
    array([2., 3.], dtype=float32)
    >>> v.assign(v * 10).numpy()
    array([20., 30.], dtype=float32)
    >>> v.trainable, v.name
    (True, 'v:0')
    """

    __array_priority__ = 100

    def __init__(self, initial_value=None, trainable=True, validate_shape=True, caching_device=None,
                 name=None, variable_def=None, dtype=None, import_scope=None, constraint=None,
                 synchronization=None, aggregation=None, shape=None, experimental_enable_variable_lifting=True):
        if initial_value is None:
            raise ValueError("The `initial_value` arg to `tf.Variable` must be specified except "
                             "when you are not providing a `variable_def`.")
        builder = _context.current_builder()
        if builder is not None:
            builder.on_variable_created(self)
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = _dtypes.as_dtype(dtype)
        init = _initial_array(initial_value, dtype)
        self._value = init
        self.dtype = _dtypes.as_dtype(init.dtype) if dtype is None else dtype
        self._shape = TensorShape(init.shape) if shape is None else TensorShape(shape)
        if not self._shape.is_compatible_with(init.shape):
            raise ValueError(f"The initial value's shape ({TensorShape(init.shape)}) is not "
                             f"compatible with the explicitly supplied `shape` argument "
                             f"({self._shape}).")
        self.trainable = bool(trainable)
        base = name if name is not None else "Variable"
        scope = current_name_scope()
        self._name = f"{scope}{base}:0"
        self._unique_id = next(_uid)
        self.constraint = constraint
        for hook in CREATION_HOOKS:
            hook(self)

    # -- identity and metadata ------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return self._shape.rank

    def get_shape(self):
        return self._shape

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def initial_value(self):
        return EagerTensor(self._value, self.dtype)

    def __hash__(self):
        raise TypeError("Variable is unhashable. Instead, use variable.ref() as the key.")

    def ref(self):
        return _TensorRef(self)

    experimental_ref = ref

    # -- reading --------------------------------------------------------------------------------
    def read_value(self):
        value = self._value
        if _LOCAL.builder is None and value.dtype is self.dtype.np_dtype:
            # Eagerly, `apply(read_variable, var=self)` in short: the kernel returns the (frozen)
            # buffer, the type rule says self.dtype; tapes still record the read.
            t = _new(EagerTensor)
            t._value = value
            t.dtype = self.dtype
            if _TAPES:
                _recording.record(read_variable, (), (t,), {"var": self})
            return t
        return apply(read_variable, var=self)

    value = read_value

    def _as_tensor(self):
        return self.read_value()

    def numpy(self):
        v = self._value
        return v[()] if v.ndim == 0 else v.copy()

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._value, dtype=dtype)

    def __bool__(self):
        return bool(self.read_value())

    def __int__(self):
        return int(self.read_value())

    def __float__(self):
        return float(self.read_value())

    def __index__(self):
        return self.read_value().__index__()

    def __len__(self):
        return len(self.read_value())

    def __iter__(self):
        return iter(self.read_value())

    def __getitem__(self, key):
        return variable_getitem(self, key)

    # -- writing --------------------------------------------------------------------------------
    def assign(self, value, use_locking=None, name=None, read_value=True):
        if type(value) is EagerTensor and _LOCAL.builder is None:
            arr = value._value
            if (value.dtype is self.dtype and arr.base is None and not arr.flags.writeable
                    and arr.shape == self._value.shape):
                # Eagerly, `apply(assign_variable, value, var=self)` in short where its type rule
                # and shape check cannot fail (same dtype, same shape): the kernel's private copy
                # is not needed either, as the tensor's frozen array owns its memory and nothing
                # can write it. (Under the write lock: a compiled call writing this variable in
                # another thread installs first, variable_locks.py.)
                held = _begin_write(self)
                try:
                    self._value = arr
                finally:
                    _end_write(held)
                if _TAPES:
                    _recording.record(assign_variable, (value,), (), {"var": self})
                return self if read_value else None
        value = convert_to_tensor(value, dtype=self.dtype) if not isinstance(value, Tensor) \
            and not hasattr(value, "_as_tensor") else convert_to_tensor(value)
        with _eager_writing(self):
            apply(assign_variable, value, var=self)
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        with _eager_writing(self):   # (read, add and assign as one update)
            return self.assign(add(self.read_value(), delta), read_value=read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        with _eager_writing(self):   # (read, subtract and assign as one update)
            return self.assign(subtract(self.read_value(), delta), read_value=read_value)

    # -- printing -------------------------------------------------------------------------------
    def __repr__(self):
        if _context.current_builder() is not None:
            return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"
        return "<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (
            self.name, self.shape, self.dtype.name, numpy_text(self._value, is_repr=True))

    def __str__(self):
        return repr(self)

    def __setstate__(self, state):
        """Unpickled (e.g. inside a pickled tf.Module): the value stays read-only, as always."""
        self.__dict__.update(state)
        self._value.flags.writeable = False
        self._unique_id = next(_uid)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        new = Variable(self._value.copy(), trainable=self.trainable,
                       name=self._name.rsplit(":", 1)[0].rsplit("/", 1)[-1], dtype=self.dtype)
        memo[id(self)] = new
        return new


def _initial_array(initial_value, dtype):
    conv = getattr(initial_value, "_as_tensor", None)
    if conv is not None:
        initial_value = conv()
    if isinstance(initial_value, Tensor):
        t = initial_value
        value = constant_value(t)
        if value is None:
            raise ValueError("A tf.Variable's initial value must be computable now; it was a "
                             "symbolic tensor. Create the variable outside the tf.function, or "
                             "from a Python/NumPy value.")
        arr = np.asarray(value)
        if dtype is not None and arr.dtype != dtype.np_dtype:
            if t.dtype is not dtype:
                raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor "
                                 f"with dtype {t.dtype.name}")
    elif isinstance(initial_value, (np.ndarray, np.generic)):
        arr = np.asarray(initial_value)
        if dtype is not None:
            arr = arr.astype(dtype.np_dtype)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"Cannot create a tf.Variable from a {arr.dtype} array")
    else:
        arr, _ = _python_to_array(initial_value, dtype, strict=False)
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    return arr


_operators.install_on(Variable, getitem=False)
VARIABLE_TYPES.add(Variable)
# A Variable attribute (`read_variable`, `assign_variable`) keys the eager type cache by what the
# type rules read from it: its dtype and shape, and its identity (never reused: a counter).
_eager_cache.register_attr_key(
    Variable, lambda v: (v._unique_id, v.dtype.name, v._shape.as_tuple()))
