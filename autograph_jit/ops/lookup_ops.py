"""Host tables: `lookup_table_find`, the op that maps every element of a tensor through a
table object held on the host (TF's LookupTableFindV2 with the table as a resource).

A table is a `HostTable`: `output_type(in_type)` gives the result's TensorType (validating the
input), `find(array)` maps a NumPy array (an object array of bytes for strings). Keras's
StringLookup / IntegerLookup / TextVectorization build their vocabularies as tables. The op
runs on the host by design (`OpDef.host`): a compiled function calls it through a host
callback and `explain()` counts it there; it has no gradient (its outputs are ids)."""
import abc

from .opdef import apply, defop

__all__ = ["HostTable", "lookup_table_find", "find"]


class HostTable(abc.ABC):
    """A host-side mapping used as the `table` attribute of `lookup_table_find`.

    Subclasses define `output_type(in_type)` and `find(array)`; identity is the object's
    (a table is a resource: two tables with equal contents are still two tables)."""

    name = "table"

    @abc.abstractmethod
    def output_type(self, in_type):
        """The result's TensorType for inputs of `in_type` (raise on inputs it refuses)."""

    @abc.abstractmethod
    def find(self, array):
        """The values for a NumPy array of keys."""

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}>"


def _find_infer(in_types, table):
    return table.output_type(in_types[0])


def _find_kernel(x, table):
    return table.find(x)


lookup_table_find = defop("lookup_table_find", _find_infer, _find_kernel, differentiable=False,
                          host=True, doc="Map each element of input 0 through the host table "
                                         "attribute `table` (a HostTable).")


def find(table, keys):
    """`table`'s values for `keys` (a tensor): one `lookup_table_find` op, eager or traced.
    Example: `find(vocabulary_table, tf.constant(["a", "b"]))` (see keras StringLookup)."""
    return apply(lookup_table_find, keys, table=table)
