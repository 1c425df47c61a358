"""Source maps from generated code back to the user's original lines and functions.

Converted code is compiled from the user's AST with its line and column numbers under the
user's filename (conversion.py), so its frames already point at the user's file and line; only
the functions AutoGraph generates (`loop_body`, `if_body_1`, ...) are not the user's: the
converter registers them with `register_code(code, user_function)`, and `map_frame` reports
their frames as the user's function. Code generated from text has no such lines:
`register(code_filename, line_map)` records which user file and line each generated line came
from. The builder asks `map_frame` first for every frame it locates.
"""
import linecache

from ..ir.graph import SourceLocation

_MAPS = {}  # generated filename -> {generated line: SourceLocation}
_CODE_FUNCTIONS = {}  # generated helper code object -> the user's function name
_registrations = [0]  # how many registrations so far (callers caching "unmapped" check it)


def register_code(code, user_function):
    _CODE_FUNCTIONS[code] = user_function
    _registrations[0] += 1


def register(generated_filename, line_map):
    _MAPS[generated_filename] = line_map
    _registrations[0] += 1


def maps_nothing_of(code):
    """True when no frame of `code` can map (not a registered helper, nor in a mapped file)."""
    return code not in _CODE_FUNCTIONS and code.co_filename not in _MAPS


def registrations():
    """A count that grows with every registration: a cached `maps_nothing_of` answer holds
    while it stays the same."""
    return _registrations[0]


def map_frame(frame):
    code = frame.f_code
    name = _CODE_FUNCTIONS.get(code)
    if name is not None:
        line = linecache.getline(code.co_filename, frame.f_lineno).strip()
        return SourceLocation(code.co_filename, frame.f_lineno, line, name)
    table = _MAPS.get(code.co_filename)
    if table is None:
        return None
    return table.get(frame.f_lineno)


def map_location(filename, lineno):
    table = _MAPS.get(filename)
    return None if table is None else table.get(lineno)


__all__ = ["register", "register_code", "map_frame", "map_location", "maps_nothing_of",
           "registrations", "SourceLocation"]
