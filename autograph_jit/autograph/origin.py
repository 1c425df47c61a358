"""Source maps from converted (generated) code back to the user's original lines.

`register(code_filename, line_map)` records, for a generated module, which user file and line
each generated line came from; `map_frame(frame)` answers for a frame of generated code.
"""
from ..ir.graph import SourceLocation

_MAPS = {}  # generated filename -> {generated line: SourceLocation}


def register(generated_filename, line_map):
    _MAPS[generated_filename] = line_map


def map_frame(frame):
    table = _MAPS.get(frame.f_code.co_filename)
    if table is None:
        return None
    return table.get(frame.f_lineno)


def map_location(filename, lineno):
    table = _MAPS.get(filename)
    return None if table is None else table.get(lineno)


__all__ = ["register", "map_frame", "map_location", "SourceLocation"]
