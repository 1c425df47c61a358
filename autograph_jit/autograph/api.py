"""AutoGraph's public entry points: conversion for tracing, to_code, to_graph, do_not_convert."""
import functools

_DO_NOT_CONVERT = "__autograph_do_not_convert__"


def do_not_convert(func=None):
    """Mark `func` so AutoGraph leaves it as written."""
    if func is None:
        return do_not_convert

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    setattr(wrapper, _DO_NOT_CONVERT, True)
    return wrapper


def convert_for_tracing(func):
    """The function tf.function traces when autograph=True.

    Source conversion of Python control flow is not implemented yet (AutoGraph issue): until then
    the function is traced as written, and a Python `if`/`while` on a tensor raises the TypeError
    that points to tf.cond / tf.while_loop."""
    return func
