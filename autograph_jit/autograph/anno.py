"""Annotations the converters leave on AST nodes, named by an enum (as TF's pyct/anno.py).

A converter or the analysis stores a fact on a node with `setanno(node, Key, value)`; a later
converter reads it with `getanno(node, Key, default)`. The keys say who writes each fact and who
reads it, so a misspelt key fails loudly (an AttributeError on the enum) instead of reading as
absent.

    from . import anno
    anno.setanno(loop, anno.Static.LIVE_OUT, {"x"})
    anno.getanno(loop, anno.Static.LIVE_OUT)        # {'x'}
"""
import enum

__all__ = ["Basic", "Static", "getanno", "setanno", "hasanno", "delanno"]

_FIELD = "_ag_anno"   # the dict on each annotated node (copied with the node by copy/deepcopy)
_NONE = object()


class Basic(enum.Enum):
    """Facts converters leave for later converters."""

    GENERATED = "a function or expression a converter wrote: later converters leave it alone"
    EXTRA_LOOP_TEST = ("a for loop's extra stop condition (break/return flags), an expression; "
                       "written by converters/jumps.py, read by analysis.py and control_flow.py")
    RAISE = "a `raise` turned into ag__.raise_stmt (converters/raise_statements.py)"
    SOURCE_TEXT = "the converted function's source text, rendered once (conversion.py)"


class Static(enum.Enum):
    """Facts of the static analysis (analysis.py) on compound statements, for control_flow.py."""

    MODIFIED = "names (and attribute paths) assigned anywhere inside, sorted"
    LIVE_OUT = "names possibly read after the statement"
    LIVE_HEAD = "loops only: names possibly read at the start of an iteration"


def getanno(node, key, default=_NONE):
    """The value stored on `node` under `key`; `default` if absent (KeyError without one)."""
    annotations = node.__dict__.get(_FIELD, {})
    if key in annotations:
        return annotations[key]
    if default is _NONE:
        raise KeyError(f"{type(node).__name__} node has no annotation {key}")
    return default


def setanno(node, key, value):
    """Store `value` on `node` under `key` (a Basic or Static member)."""
    if not isinstance(key, (Basic, Static)):
        raise TypeError(f"annotation keys are anno.Basic / anno.Static members, got {key!r}")
    node.__dict__.setdefault(_FIELD, {})[key] = value


def hasanno(node, key):
    """Whether `node` holds an annotation under `key`."""
    return key in node.__dict__.get(_FIELD, {})


def delanno(node, key):
    """Remove the annotation `key` from `node` (absent: nothing happens)."""
    node.__dict__.get(_FIELD, {}).pop(key, None)
