"""Sentinels for names without a value: `Undefined` (a variable not assigned on this path) and
`UndefinedReturnValue` (the function has not returned yet), and `retval`."""
from ...ops import check_ops
from ...tracing.builder import user_location


class Undefined:
    """The value of a variable no assignment has reached. Using it raises UnboundLocalError
    naming the variable, as Python would."""

    __slots__ = ("symbol_name",)

    def __init__(self, symbol_name):
        object.__setattr__(self, "symbol_name", symbol_name)

    def __repr__(self):
        return f"<undefined {self.symbol_name!r}>"

    def _fail(self, *args, **kwargs):
        raise UnboundLocalError(
            f"local variable '{self.symbol_name}' is used before it is assigned: no assignment "
            "to it ran on this path.")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail()


for _op in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split()):
    setattr(Undefined, f"__{_op}__", Undefined._fail)
    setattr(Undefined, f"__r{_op}__", Undefined._fail)
for _op in ("lt le gt ge neg pos abs invert bool len iter call getitem setitem index int "
            "float".split()):
    setattr(Undefined, f"__{_op}__", Undefined._fail)


class UndefinedReturnValue(Undefined):
    """`retval_` before a `return` ran. `all_paths_return`: every path of the function ends in
    a return, so a placeholder may stand for it on paths that have not returned yet."""

    __slots__ = ("all_paths_return",)

    def __init__(self, all_paths_return=False):
        super().__init__("retval_")
        object.__setattr__(self, "all_paths_return", bool(all_paths_return))

    def __repr__(self):
        return "<no return value yet>"


def ld(value):
    """A read of a variable that may be undefined (a returned name): fails like Python."""
    if type(value) is Undefined:
        value._fail()
    return value


def retval(value, returned=True):
    """The function's result: None when it ended without a return, as in Python.

    `returned` is the do_return flag. When a graph loop carried the return value and whether a
    `return` ran is known only at run time (a tensor), the graph checks it: ending without a
    return there (e.g. `for i in tf.range(n): return i` with n == 0) cannot give Python's None,
    so it fails with TF's InvalidArgumentError instead of returning the loop's placeholder."""
    if isinstance(value, UndefinedReturnValue):
        return None
    if returned is not True and _is_symbolic(returned) and _static(returned) is not True:
        loc = user_location(2)
        where = f" [{loc.filename}:{loc.lineno}]" if loc is not None else ""
        check_ops.assert_that(
            returned, message="loop must iterate at least once to initialize the function "
            "return value: this function returns from inside a graph loop and reached its "
            "end without a return, where Python would return None. Fix: add a return "
            f"statement after the loop{where}")
    return value


def _is_symbolic(x):
    return getattr(x, "_is_symbolic", False)


def _static(x):
    from .staging import static_value
    v = static_value(x)
    return None if v is None else bool(v)


def get_attr(obj, attr, path):
    """`obj.attr` for a state read of attribute path `path`; Undefined(path) when it has no
    value yet (or its object has none)."""
    if isinstance(obj, Undefined):
        return Undefined(path)
    try:
        return getattr(obj, attr)
    except AttributeError:
        return Undefined(path)


def set_attr(obj, attr, value):
    """`obj.attr = value` for a state write; an Undefined value removes the attribute again
    (a branch that created it must not leave it behind for the other branch)."""
    if isinstance(obj, Undefined):
        return
    if isinstance(value, Undefined):
        if attr in getattr(obj, "__dict__", {}):
            delattr(obj, attr)
        return
    setattr(obj, attr, value)
