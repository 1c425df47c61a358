"""Python functions stored as bytecode (Keras 3's `Lambda` configs) and the safe mode that
guards loading them.

A `Lambda(lambda t: ...)` saves its function as `{"class_name": "__lambda__", "config":
{"code", "defaults", "closure"}}`: the code object marshalled and base64-encoded, exactly as
Keras 3's `python_utils.func_dump` writes it, so files round-trip with Keras 3 when both run
the same Python version (marshal's format is version-specific). Loading such code runs
arbitrary bytecode, so it is refused unless safe mode is off: `load_model(...,
safe_mode=False)`, or `enable_unsafe_deserialization()` for the whole process.

    >>> from autograph_jit.keras.saving.function_code import func_dump, func_load
    >>> dumped = func_dump(lambda t: t + 1)
    >>> func_load(*dumped)(1)
    2
"""
import binascii
import codecs
import marshal
import types

__all__ = ["func_dump", "func_load", "SafeModeScope", "in_safe_mode",
           "enable_unsafe_deserialization", "refuse_in_safe_mode", "LAMBDA_CLASS_NAME"]

LAMBDA_CLASS_NAME = "__lambda__"
_SAFE_MODE = [None]  # None: unset (safe); True/False while a scope or the global switch sets it


def func_dump(func):
    """`(code, defaults, closure)` for a Python function: its code object marshalled and
    base64-encoded (ASCII), its default values and its closure cells' contents (None when it
    has none)."""
    code = codecs.encode(marshal.dumps(func.__code__), "base64").decode("ascii")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def _cell(value):
    def capture():
        return value
    return capture.__closure__[0]


def func_load(code, defaults=None, closure=None, globs=None):
    """The function `func_dump` described (`code` may also be the whole dumped triple). Its
    globals are `globs`, or this module's, as Keras 3 gives a loaded lambda its own module's."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    if closure is not None:
        closure = tuple(_cell(value) for value in closure)
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    try:
        code_object = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError(f"Could not load the bytecode of a serialized Python function ({e}); "
                         f"it must be loaded with the Python version that saved it.") from None
    return types.FunctionType(code_object, globs if globs is not None else globals(),
                              name=code_object.co_name, argdefs=defaults, closure=closure)


def in_safe_mode():
    """True or False while a `SafeModeScope` (or `enable_unsafe_deserialization`) sets the
    mode; None when nothing set it (which loading code treats as safe)."""
    return _SAFE_MODE[0]


class SafeModeScope:
    """`with SafeModeScope(False):` lets nested deserialization load Python lambdas."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.original_value = _SAFE_MODE[0]
        _SAFE_MODE[0] = self.safe_mode
        return self

    def __exit__(self, *exc):
        _SAFE_MODE[0] = self.original_value
        return False


def enable_unsafe_deserialization():
    """Turn safe mode off for the process (Keras 3's
    `keras.config.enable_unsafe_deserialization`): lambdas load without `safe_mode=False`.

    >>> from autograph_jit.keras.saving.function_code import SafeModeScope, in_safe_mode
    >>> with SafeModeScope(True):   # (the example's scope puts the mode back afterwards)
    ...     tf.keras.config.enable_unsafe_deserialization()   # (only for files you trust)
    ...     in_safe_mode()
    False
    """
    _SAFE_MODE[0] = False


def refuse_in_safe_mode(safe_mode):
    """Keras 3's error for loading a Lambda's Python lambda while safe mode is on."""
    if safe_mode:
        raise ValueError(
            "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
            "lambda. This carries a potential risk of arbitrary code execution and thus it is "
            "disallowed by default. If you trust the source of the artifact, you can override "
            "this error by passing `safe_mode=False` to the loading function, or calling "
            "`keras.config.enable_unsafe_deserialization()`.")
