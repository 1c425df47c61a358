"""`tf.strings` namespace: thin re-exports of ops/string_ops.py."""
from .ops.string_ops import (  # noqa: F401
    as_string, join, length, lower, reduce_join, regex_full_match, regex_replace, split, strip,
    substr, to_number, upper)
