"""Operators on KerasTensors in the functional API (`x + 1`, `a * b`, `x[:, 0]`, `-x`, ...):
each becomes a small layer named after the op (`add`, `multiply`, `get_item`, ... as Keras 3's
ops), so `keras.Model(inputs, layers.Dense(1)(x) * 2)` builds, runs, prints and serializes."""
import operator

from .layer import Layer
from ..saving.serialization import _REGISTERED

__all__ = ["symbolic_op", "OP_CLASSES"]

# op name -> (class name, function of the call arguments)
_OPS = {
    "add": ("Add", operator.add), "subtract": ("Subtract", operator.sub),
    "multiply": ("Multiply", operator.mul), "true_divide": ("TrueDivide", operator.truediv),
    "floor_divide": ("FloorDivide", operator.floordiv), "mod": ("Mod", operator.mod),
    "power": ("Power", operator.pow), "matmul": ("Matmul", operator.matmul),
    "negative": ("Negative", operator.neg), "absolute": ("Absolute", operator.abs),
    "less": ("Less", operator.lt), "less_equal": ("LessEqual", operator.le),
    "greater": ("Greater", operator.gt), "greater_equal": ("GreaterEqual", operator.ge),
    "get_item": ("GetItem", operator.getitem),
}


class _TensorOp(Layer):
    """Base of the op layers: `call(*args)` applies the op to the tensors and constants."""

    # (Python values, not only tensors, positionally: Keras 3's data layers and ops)
    _allow_non_tensor_positional_args = True

    op_name = None

    def __init__(self, **kwargs):
        kwargs.setdefault("name", None)
        super().__init__(**kwargs)
        self.built = True

    def call(self, *args):
        if self.op_name == "get_item" and isinstance(args[1], list):
            args = (args[0], tuple(args[1]))  # (a JSON round trip turns the key into a list)
        return _OPS[self.op_name][1](*args)

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(name=config.get("name"))


def _make(op_name):
    class_name = _OPS[op_name][0]
    cls = type(class_name, (_TensorOp,), {"op_name": op_name, "__module__": __name__,
                                           "__doc__": f"The `{op_name}` op on KerasTensors."})
    cls._registered_name = f"keras.ops>{class_name}"
    return cls


OP_CLASSES = {name: _make(name) for name in _OPS}


def _register():
    for cls in OP_CLASSES.values():
        _REGISTERED[cls._registered_name] = cls


def symbolic_op(op_name, *args):
    """Apply op `op_name` to KerasTensors/constants, recording a node in the graph."""
    if not _REGISTERED_DONE:
        _register()
        _REGISTERED_DONE.append(True)
    return OP_CLASSES[op_name]()(*args)


_REGISTERED_DONE = []
