"""Symbolic values of the functional API: `KerasTensor` (a shape, a dtype and the layer call that
made it), `Node` (one call of a layer on KerasTensors), and `symbolic_call`, which finds a layer's
output shapes by tracing its `call` into a scratch graph with `None` dimensions left unknown.

    x = keras.Input(shape=(4,))          # KerasTensor shape=(None, 4)
    y = keras.layers.Dense(2)(x)         # Dense.__call__ sees a KerasTensor: records a Node
"""
from ... import dtypes as _dtypes
from ... import nest
from ...tensor import Tensor
from ...tensor_shape import TensorShape
from ...ir.types import TensorType
from ...tracing import context
from ...tracing.builder import GraphBuilder

__all__ = ["KerasTensor", "Node", "is_keras_tensor", "any_keras_tensor", "symbolic_call"]


class KerasTensor:
    """Keras 3's `keras.KerasTensor(shape, dtype="float32", sparse=False, name=None)`: a
    placeholder of known shape and dtype, made by `keras.Input` and by layers called on it.

    >>> x = tf.keras.Input((4,))
    >>> isinstance(x, tf.keras.KerasTensor), x.shape
    (True, (None, 4))
    """

    def __init__(self, shape, dtype="float32", sparse=False, record_history=True, name=None):
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = _dtypes.as_dtype(dtype)
        self.sparse = bool(sparse)
        self.name = name
        self._keras_history = None   # (layer, node_index, tensor_index)
        self._keras_mask = None

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype.name

    @property
    def ndim(self):
        return len(self._shape)

    def __repr__(self):
        return (f"<KerasTensor shape={self._shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"name={self.name}>")

    # -- operators build op layers (layers/tensor_ops.py) ------------------------------------------
    def _op(self, name, *args):
        from .tensor_ops import symbolic_op
        return symbolic_op(name, *args)

    def __add__(self, other):
        return self._op("add", self, other)

    def __radd__(self, other):
        return self._op("add", other, self)

    def __sub__(self, other):
        return self._op("subtract", self, other)

    def __rsub__(self, other):
        return self._op("subtract", other, self)

    def __mul__(self, other):
        return self._op("multiply", self, other)

    def __rmul__(self, other):
        return self._op("multiply", other, self)

    def __truediv__(self, other):
        return self._op("true_divide", self, other)

    def __rtruediv__(self, other):
        return self._op("true_divide", other, self)

    def __floordiv__(self, other):
        return self._op("floor_divide", self, other)

    def __mod__(self, other):
        return self._op("mod", self, other)

    def __pow__(self, other):
        return self._op("power", self, other)

    def __rpow__(self, other):
        return self._op("power", other, self)

    def __matmul__(self, other):
        return self._op("matmul", self, other)

    def __rmatmul__(self, other):
        return self._op("matmul", other, self)

    def __neg__(self):
        return self._op("negative", self)

    def __abs__(self):
        return self._op("absolute", self)

    def __lt__(self, other):
        return self._op("less", self, other)

    def __le__(self, other):
        return self._op("less_equal", self, other)

    def __gt__(self, other):
        return self._op("greater", self, other)

    def __ge__(self, other):
        return self._op("greater_equal", self, other)

    def __getitem__(self, key):
        return self._op("get_item", self, key)

    def __bool__(self):
        raise TypeError("A KerasTensor is symbolic: it has no value. You cannot use it as a "
                        "Python bool; put the logic inside a layer's call().")

    def __array__(self, *args, **kwargs):
        raise ValueError(
            "A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't "
            "have any actual numerical value. You cannot convert it to a NumPy array.")

    def _as_tensor(self):
        raise ValueError(
            "A KerasTensor cannot be used as input to a TensorFlow function. A KerasTensor is "
            "a symbolic placeholder for a shape and dtype, used when constructing Keras "
            "Functional models or Keras Functions. You can only use it as input to a Keras "
            "layer or a Keras operation (Python operators such as `+`, `*`, `[...]`). Wrap "
            "TensorFlow calls in a layer: `keras.layers.Lambda(lambda t: tf.nn.relu(t))(x)`.")

    def numpy(self):
        return self.__array__()

    def __hash__(self):
        return id(self)


def is_keras_tensor(x):
    """`keras.KerasTensor` test (`keras.utils.is_keras_tensor`).

    >>> tf.keras.utils.is_keras_tensor(tf.keras.Input((2,))), tf.keras.utils.is_keras_tensor(tf.ones([2]))
    (True, False)
    """
    return isinstance(x, KerasTensor)


def any_keras_tensor(structure):
    return any(isinstance(x, KerasTensor) for x in nest.flatten(structure))


class Node:
    """One call of `operation` (a layer) on symbolic arguments, with its output KerasTensors."""

    def __init__(self, operation, call_args=(), call_kwargs=None, outputs=None):
        self.operation = operation
        self.arguments_args = tuple(call_args)
        self.arguments_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.output_tensors = nest.flatten(outputs)
        self.input_tensors = [x for x in nest.flatten((self.arguments_args,
                                                       self.arguments_kwargs))
                              if isinstance(x, KerasTensor)]
        operation._inbound_nodes.append(self)
        node_index = len(operation._inbound_nodes) - 1
        for i, t in enumerate(self.output_tensors):
            if isinstance(t, KerasTensor):
                t._keras_history = (operation, node_index, i)
        self.parent_nodes = []
        for x in self.input_tensors:
            history = x._keras_history
            if history is not None:
                layer, index, _ = history
                parent = layer._inbound_nodes[index]
                if parent not in self.parent_nodes:
                    self.parent_nodes.append(parent)
                layer._outbound_nodes.append(self)

    @property
    def is_input(self):
        return not self.input_tensors

    def __repr__(self):
        return f"<Node operation={self.operation.name}, id={id(self)}>"


def _as_shape_tuple(shape):
    if isinstance(shape, TensorShape):
        return None if shape.rank is None else tuple(shape.as_list())
    return tuple(shape)


def symbolic_call(fn, args, kwargs, name=None):
    """Run `fn(*args, **kwargs)` with every KerasTensor replaced by a traced placeholder of the
    same (partly unknown) shape; return the outputs as KerasTensors (same structure)."""
    builder = GraphBuilder(f"keras_symbolic_{name or 'call'}")

    def placeholder(x):
        if isinstance(x, KerasTensor):
            p = builder.add_param(TensorType(x._dtype, TensorShape(list(x.shape))),
                                  name=x.name)
            t = builder.symbolic(p)
            if x._keras_mask is not None:
                from .layer import set_keras_mask
                set_keras_mask(t, placeholder(x._keras_mask))
            return t
        return x

    with context.building(builder):
        sargs = nest.map_structure(placeholder, args)
        skwargs = nest.map_structure(placeholder, kwargs)
        outputs = fn(*sargs, **skwargs)
        return _to_keras_tensors(outputs)


def _to_keras_tensors(outputs):
    from .layer import get_keras_mask

    def convert(t):
        if isinstance(t, Tensor) or hasattr(t, "_as_tensor"):
            if not isinstance(t, Tensor):
                t = t._as_tensor()
            kt = KerasTensor(_as_shape_tuple(t.shape), dtype=t.dtype)
            mask = get_keras_mask(t)
            if mask is not None:
                kt._keras_mask = KerasTensor(_as_shape_tuple(mask.shape), dtype=mask.dtype)
            return kt
        return t
    return nest.map_structure(convert, outputs)
