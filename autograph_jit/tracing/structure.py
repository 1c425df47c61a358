"""The marker for where a graph result goes in a function's output structure (a leaf module).

A traced function may return any nest of tensors and Python values; the ConcreteFunction keeps
that structure with `LEAF` in place of each graph result, and every caller (the ordinary call,
the warm paths, SavedModel) puts the results back where the LEAFs are.
"""

LEAF = object()
