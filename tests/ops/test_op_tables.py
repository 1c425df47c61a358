"""Facts about ops live on the OpDef; every table still keyed by op name names a registered op.

A lowering table, a rewrite-rule table or a set of op names with a typo (or naming an op that was
renamed or never registered) would silently never match; this test makes it fail loudly.
"""
import importlib
import pkgutil

import autograph_jit
from autograph_jit.ops.opdef import REGISTRY

# Tables that must be found by the scan below (so the heuristic cannot silently skip one).
KNOWN_TABLES = {
    "autograph_jit.codegen.llvm.dispatch.LOWERINGS", "autograph_jit.codegen.llvm.scalar.SCALAR_OPS",
    "autograph_jit.codegen.llvm.k_array.LOWERINGS", "autograph_jit.codegen.llvm.k_conv.LOWERINGS",
    "autograph_jit.codegen.llvm.k_gather.LOWERINGS", "autograph_jit.codegen.llvm.k_index.LOWERINGS",
    "autograph_jit.codegen.llvm.k_random.LOWERINGS", "autograph_jit.codegen.llvm.rowops.LOWERINGS",
    "autograph_jit.codegen.llvm.k_rowscan.LOWERINGS", "autograph_jit.codegen.llvm.vecmath.FUNCTIONS",
    "autograph_jit.passes.algebra_rules.RULES", "autograph_jit.passes.reduction_fusion.REDUCTIONS",
    "autograph_jit.passes.constant_fold.SHAPE_ONLY_INPUTS",
}
# Names in op tables that are deliberately not ops: vector-math variants chosen by sign facts.
NOT_OPS = {"exp_nonpositive"}
# Tables keyed by other names that happen to overlap op names (Keras activation identifiers).
NOT_OP_TABLES = {"autograph_jit.keras.activations._BY_NAME",
                 # Keras op layers keyed by NumPy-style function names (`absolute`, `power`)
                 "autograph_jit.keras.layers.tensor_ops.OP_CLASSES",
                 "autograph_jit.keras.layers.tensor_ops._OPS",
                 # public function names (tf.add, tf.nn.relu) that take RaggedTensors
                 "autograph_jit.ragged.dispatch.ELEMENTWISE",
                 "autograph_jit.ragged.dispatch.REDUCTIONS"}


def _op_name_tables():
    """Every module-level dict/set/tuple of strings in the package that mostly names ops."""
    tables = {}
    for info in pkgutil.walk_packages(autograph_jit.__path__, "autograph_jit."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if not isinstance(value, (dict, set, frozenset, tuple, list)) or not value:
                continue
            if not all(isinstance(k, str) for k in value):
                continue
            keys = set(value)
            if attr == "__all__" or f"{info.name}.{attr}" in NOT_OP_TABLES:
                continue
            if len(keys & set(REGISTRY)) >= max(2, len(keys) / 3):
                tables[f"{info.name}.{attr}"] = keys
    return tables


def test_every_op_name_table_is_found_by_the_scan():
    assert KNOWN_TABLES - set(_op_name_tables()) == set()


def test_every_key_of_every_op_table_names_a_registered_op():
    stale = {name: sorted(keys - set(REGISTRY) - NOT_OPS)
             for name, keys in _op_name_tables().items() if keys - set(REGISTRY) - NOT_OPS}
    assert stale == {}


def test_speculatable_defaults_to_elementwise_and_integer_division_traps():
    for op in REGISTRY.values():
        if op.elementwise and op.name not in ("fusion",):
            assert op.speculatable, op.name
    assert {n for n, op in REGISTRY.items() if op.traps_on_integers} == {
        "divide", "floordiv", "floormod", "pow"}


def test_heavy_ops_are_the_transcendental_ones_with_a_vector_math_or_libm_call():
    from autograph_jit.codegen.llvm import vecmath
    heavy = {n for n, op in REGISTRY.items() if op.heavy}
    assert set(vecmath.FUNCTIONS) - NOT_OPS <= heavy
    assert heavy == {"exp", "log", "log1p", "expm1", "tanh", "sigmoid", "softplus", "erf", "sin",
                     "cos", "pow"}


def test_only_read_variable_reads_a_variable_for_the_tape():
    assert [n for n, op in REGISTRY.items() if op.reads_variable] == ["read_variable"]
