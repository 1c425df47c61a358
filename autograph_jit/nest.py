"""Nested structures (`tf.nest`): lists, tuples, namedtuples and dicts (sorted by key) of leaves.

None is a leaf, as in TF. Zip objects and other one-shot iterables are not structures.
"""

__all__ = ["flatten", "pack_sequence_as", "map_structure", "is_nested", "assert_same_structure"]


def is_nested(x):
    """Returns true if its input is a nested structure (a list, tuple, namedtuple or dict).

    Args:
      x: any value.

    Returns:
      True for a list, tuple or dict (of anything), False for a leaf (a tensor, a number, None).

    >>> tf.nest.is_nested([1, (2, 3)]), tf.nest.is_nested(tf.constant(1))
    (True, False)
    """
    return isinstance(x, (list, tuple, dict))


def _children(x):
    if isinstance(x, dict):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def flatten(structure, expand_composites=False):
    """Returns a flat list from a given nested structure.

    Dicts are walked in sorted key order, as in TF; a leaf alone gives a list of one.

    Args:
      structure: a nested structure of lists, tuples, namedtuples and dicts, or a leaf.
      expand_composites: accepted for TF compatibility (composite tensors are leaves here).

    Returns:
      The leaves, depth first, in a Python list.

    >>> tf.nest.flatten({"b": [2, 3], "a": 1})
    [1, 2, 3]
    """
    if not is_nested(structure):
        return [structure]
    out = []
    stack = [structure]
    # iterative depth-first walk keeps deep structures off the Python recursion limit
    while stack:
        x = stack.pop()
        if is_nested(x):
            stack.extend(reversed(_children(x)))
        else:
            out.append(x)
    return out


def _rebuild(template, children):
    if isinstance(template, dict):
        keys = _sorted_keys(template)
        rebuilt = dict(zip(keys, children))
        return type(template)((k, rebuilt[k]) for k in template)
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*children)
    if isinstance(template, tuple):
        return tuple(children)
    return list(children)


def pack_sequence_as(structure, flat_sequence):
    """Returns a given flattened sequence packed into a given structure.

    The inverse of `flatten`: the leaves of `flat_sequence` are placed into the shape of
    `structure`.

    Args:
      structure: the nested structure to rebuild.
      flat_sequence: as many leaves as `structure` has.

    Returns:
      A structure like `structure` holding the values of `flat_sequence`.

    Raises:
      ValueError: the numbers of leaves differ.

    >>> tf.nest.pack_sequence_as({"a": 0, "b": (0, 0)}, [1, 2, 3])
    {'a': 1, 'b': (2, 3)}
    """
    flat_sequence = list(flat_sequence)
    if not is_nested(structure):
        if len(flat_sequence) != 1:
            raise ValueError(f"Structure is a scalar but got {len(flat_sequence)} leaves")
        return flat_sequence[0]
    n = len(flatten(structure))
    if n != len(flat_sequence):
        raise ValueError(f"Could not pack sequence: structure has {n} leaves but the flat "
                         f"sequence has {len(flat_sequence)}")
    return _pack(structure, iter(flat_sequence))


def _pack(t, leaves):
    # a module-level recursion: a nested function calling itself would be a reference cycle
    # that keeps the leaves (the outputs) alive until the garbage collector runs
    if not is_nested(t):
        return next(leaves)
    return _rebuild(t, [_pack(c, leaves) for c in _children(t)])


def assert_same_structure(a, b, check_types=True):
    """Asserts that two structures are nested in the same way.

    Args:
      a: a nested structure.
      b: another nested structure.
      check_types: also require the same sequence types (list vs tuple) at each level.

    Returns:
      None.

    Raises:
      ValueError: the nesting, the number of elements or the dict keys differ.
      TypeError: the sequence types differ and `check_types` is True.

    >>> tf.nest.assert_same_structure([1, (2, 3)], [4, (5, 6)])
    >>> tf.nest.assert_same_structure([1, 2], [1, [2]])
    Traceback (most recent call last):
    ...
    ValueError: The two structures don't have the same nested structure at [1]: 2 vs [2]
    """
    def walk(x, y, path):
        if is_nested(x) != is_nested(y):
            raise ValueError(f"The two structures don't have the same nested structure at "
                             f"{path or 'the top'}: {x!r} vs {y!r}")
        if not is_nested(x):
            return
        if check_types and type(x) is not type(y) and not (
                isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)) and not check_types):
            raise TypeError(f"The two structures don't have the same sequence type at "
                            f"{path or 'the top'}: {type(x).__name__} vs {type(y).__name__}")
        if isinstance(x, dict) and set(x) != set(y):
            raise ValueError(f"The two dicts don't have the same keys at {path or 'the top'}: "
                             f"{sorted(map(str, x))} vs {sorted(map(str, y))}")
        cx, cy = _children(x), _children(y)
        if len(cx) != len(cy):
            raise ValueError(f"The two structures don't have the same number of elements at "
                             f"{path or 'the top'}: {len(cx)} vs {len(cy)}")
        for i, (u, v) in enumerate(zip(cx, cy)):
            walk(u, v, f"{path}[{i}]")
    walk(a, b, "")


def map_structure(func, *structures):
    """Creates a new structure by applying `func` to each leaf of the given structures.

    Args:
      func: a callable taking as many arguments as there are structures.
      *structures: structures of the same nesting (sequence types may differ).

    Returns:
      A structure like the first one, with `func(*leaves)` at each leaf.

    Raises:
      ValueError: no structure, or structures nested differently.

    >>> tf.nest.map_structure(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)})
    {'a': 11, 'b': (22, 33)}
    """
    if not structures:
        raise ValueError("map_structure needs at least one structure")
    for s in structures[1:]:
        assert_same_structure(structures[0], s, check_types=False)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*xs) for xs in zip(*flats)])
