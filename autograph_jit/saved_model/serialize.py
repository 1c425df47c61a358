"""Graphs to JSON and back: the text half of the SavedModel format. The codec lives in
tracing/graph_json.py (the Keras steps' graph cache writes graphs with it too); this module keeps
its names for the SavedModel reader and writer."""
from ..tracing.graph_json import SaveError, decode_graph, decode_value, encode_graph, encode_value

__all__ = ["encode_graph", "decode_graph", "encode_value", "decode_value", "SaveError"]
