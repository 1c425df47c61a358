"""Errors that escape a type rule or a NumPy kernel by accident, made into TF errors naming the op.

An op's type rule and kernel raise TF's errors on purpose (`InvalidArgumentError("...",
"reshape")`). Anything else that escapes them is a leak: NumPy's own messages ("operands could not
be broadcast together ..."), or Python's (`tuple index out of range`) for an argument no check
caught. `leaked(e)` tells them apart: an error raised by a `raise` statement of this package is
deliberate; one raised inside NumPy, or by a Python operation in our code (indexing, int(),
arithmetic on None), is a leak. `as_op_error` wraps a leak into an InvalidArgumentError that
names the op, its inputs and attributes, and keeps the original text.

A leaf of the runtime: it imports nothing of the package; the op layer hands it TF's error
classes (`use_error_classes`, called by ops/opdef.py on import).
"""
import dis
import os

_CLASSES = {}   # "op_error" / "invalid_argument" / "resource_exhausted": use_error_classes


def use_error_classes(op_error, invalid_argument, resource_exhausted=None):
    """TF's OpError (deliberate errors pass through), InvalidArgumentError (what a leak becomes)
    and ResourceExhaustedError (what a failed allocation becomes); the runtime cannot import
    them itself."""
    _CLASSES.update(op_error=op_error, invalid_argument=invalid_argument,
                    resource_exhausted=resource_exhausted)

_RUNTIME = os.path.dirname(os.path.abspath(__file__))
# the package's folder: the runtime's parent when installed (autograph_jit/runtime/), its sibling
# autograph_jit/ in a checkout (runtime/ beside the package)
_ABOVE = os.path.dirname(_RUNTIME)
_PACKAGE = _ABOVE if os.path.basename(_ABOVE) == "autograph_jit" else \
    os.path.join(_ABOVE, "autograph_jit")
_OURS = tuple(os.path.join(d, "") for d in (_PACKAGE, _RUNTIME))
_RAISES = {dis.opmap[name] for name in ("RAISE_VARARGS", "RERAISE") if name in dis.opmap}
_LEAKS = (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError,
          OverflowError, ArithmeticError)


def leaked(exc):
    """Whether `exc` escaped by accident (see the module docstring)."""
    op_error = _CLASSES.get("op_error")
    if isinstance(exc, MemoryError):
        return True  # an allocation that cannot succeed: ResourceExhaustedError, as TF's OOM
    if (op_error is not None and isinstance(exc, op_error)) or not isinstance(exc, _LEAKS):
        return False
    tb = exc.__traceback__
    if tb is None:
        return True
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if not os.path.abspath(code.co_filename).startswith(_OURS):
        return True  # raised inside NumPy (or another library)
    at = tb.tb_lasti
    return not (0 <= at < len(code.co_code) and code.co_code[at] in _RAISES)


def as_op_error(op_name, exc, inputs=(), attrs=None):
    """An InvalidArgumentError for a leaked `exc` of op `op_name`; `inputs`: their descriptions
    (e.g. "float32[2,3]"), `attrs`: the op's attributes."""
    shown = ", ".join(str(i) for i in inputs)
    too_big = isinstance(exc, ValueError) and "array is too big" in str(exc)  # (NumPy's words)
    if (isinstance(exc, MemoryError) or too_big) and _CLASSES.get("resource_exhausted"):
        return _CLASSES["resource_exhausted"](
            f"{op_name}: OOM when allocating the result: {exc or 'out of memory'}. Inputs: "
            f"({shown}). Fix: use smaller shapes or batches. [Op:{op_name}]", op_name)
    extra = ""
    if attrs:
        extra = "; " + ", ".join(f"{k}={_short(v)}" for k, v in attrs.items())
    return _CLASSES["invalid_argument"](
        f"{op_name}: these arguments are not valid for this op: {exc} ({type(exc).__name__}). "
        f"Inputs: ({shown}){extra}. Check the shapes, dtypes and axes passed to {op_name} "
        f"[Op:{op_name}]", op_name)


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
