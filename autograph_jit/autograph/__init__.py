"""AutoGraph: converts Python control flow on tensors into graph control flow.

converters/ rewrite the AST (one construct each, ordered in transformer.transform);
operators/ are what the converted code calls at trace time (`ag__.if_stmt`, ...), deciding
between Python semantics and graph ops on the values they get; conversion.py compiles and
caches; api.py is the public `tf.autograph` surface.
"""
from .api import (do_not_convert, experimental, set_verbosity, to_code, to_graph,  # noqa: F401
                  trace)
