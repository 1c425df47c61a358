"""Facts about ops live on the OpDef; lowering and rule tables are keyed by OpDef; every table
still written with op names names a registered op.

A lowering table, a rewrite-rule table or a set of op names with a typo (or naming an op that was
renamed or never registered) would silently never match; this test makes it fail loudly.
"""
import importlib
import pkgutil

import autograph_jit
import pytest

from autograph_jit.ops.op_keys import by_op, op_of, op_set
from autograph_jit.ops.opdef import REGISTRY, OpDef

# Tables that must be found by the scan below (so the heuristic cannot silently skip one).
KNOWN_TABLES = {
    "autograph_jit.codegen.llvm.scalar.SCALAR_OPS",
    "autograph_jit.codegen.llvm.k_array.LOWERINGS", "autograph_jit.codegen.llvm.k_conv.LOWERINGS",
    "autograph_jit.codegen.llvm.k_gather.LOWERINGS", "autograph_jit.codegen.llvm.k_index.LOWERINGS",
    "autograph_jit.codegen.llvm.k_random.LOWERINGS", "autograph_jit.codegen.llvm.rowops.LOWERINGS",
    "autograph_jit.codegen.llvm.k_rowscan.LOWERINGS", "autograph_jit.codegen.llvm.vecmath.FUNCTIONS",
}
# Tables keyed by OpDef objects that the OpDef scan below must find.
KNOWN_OPDEF_TABLES = {
    "autograph_jit.codegen.llvm.dispatch.LOWERINGS", "autograph_jit.codegen.llvm.lower._VIEW_LIKE",
    "autograph_jit.passes.algebra_rules.RULES", "autograph_jit.passes.reduction_fusion.REDUCTIONS",
    "autograph_jit.passes.constant_fold.SHAPE_ONLY_INPUTS", "autograph_jit.passes.constant_fold._NEVER",
    "autograph_jit.passes.buffer_plan.VIEW_OPS",
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
                 "autograph_jit.ragged.dispatch.REDUCTIONS",
                 # public names the api boundary leaves unwrapped (tf.function, tf.print, ...)
                 "autograph_jit.api_boundary._SKIP"}


def _module_tables():
    for info in pkgutil.walk_packages(autograph_jit.__path__, "autograph_jit."):
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            yield info.name, attr, value


def _opdef_tables():
    """Every module-level dict/set of the package keyed by OpDef objects."""
    return {f"{mod}.{attr}": value for mod, attr, value in _module_tables()
            if isinstance(value, (dict, set, frozenset)) and value
            and all(isinstance(k, OpDef) for k in value)}


def _op_name_tables():
    """Every module-level dict/set/tuple of strings in the package that mostly names ops."""
    tables = {}
    for module, attr, value in _module_tables():
        if not isinstance(value, (dict, set, frozenset, tuple, list)) or not value:
            continue
        if not all(isinstance(k, str) for k in value):
            continue
        keys = set(value)
        if attr == "__all__" or f"{module}.{attr}" in NOT_OP_TABLES:
            continue
        if len(keys & set(REGISTRY)) >= max(2, len(keys) / 3):
            tables[f"{module}.{attr}"] = keys
    return tables


def test_every_op_name_table_is_found_by_the_scan():
    assert KNOWN_TABLES - set(_op_name_tables()) == set()


def test_every_key_of_every_op_table_names_a_registered_op():
    stale = {name: sorted(keys - set(REGISTRY) - NOT_OPS)
             for name, keys in _op_name_tables().items() if keys - set(REGISTRY) - NOT_OPS}
    assert stale == {}


def test_lowering_and_rule_tables_are_keyed_by_opdef_and_found_by_the_scan():
    assert KNOWN_OPDEF_TABLES - set(_opdef_tables()) == set()


def test_every_key_of_every_opdef_table_is_the_registered_op_of_its_name():
    # an OpDef that is not the registry's (a copy, or one built without `register`) never matches
    stale = {name: sorted(op.name for op in keys if REGISTRY.get(op.name) is not op)
             for name, keys in _opdef_tables().items()}
    assert {k: v for k, v in stale.items() if v} == {}


def test_the_cpu_lowering_table_gathers_every_kernel_modules_lowerings():
    from autograph_jit.codegen.llvm import dispatch
    by_name = {}
    for name in KNOWN_TABLES:
        if name.endswith(".LOWERINGS"):
            module = importlib.import_module(name.rsplit(".", 1)[0])
            for op_name, fn in module.LOWERINGS.items():
                by_name.setdefault(op_name, []).append(fn)
    # (a later kernel module may override an earlier one's lowering: k_index's pad over k_array's)
    assert {n: dispatch.LOWERINGS.get(op_of(n)) in fns for n, fns in by_name.items()} == {
        n: True for n in by_name}


def test_a_table_naming_an_unregistered_op_fails_when_it_is_built():
    assert by_op({"add": 1}) == {REGISTRY["add"]: 1}
    assert op_set(["add", REGISTRY["exp"]]) == {REGISTRY["add"], REGISTRY["exp"]}
    with pytest.raises(KeyError, match="'ad' is not a registered op"):
        by_op({"ad": 1})
    with pytest.raises(KeyError, match="'reduce_summ' is not a registered op"):
        op_set(["reduce_summ"])


def test_ops_defined_above_the_compiler_register_their_own_table_entries():
    from autograph_jit.passes import algebra_rules
    assert algebra_rules.forward_last_inputs in algebra_rules.RULES[op_of("custom_gradient")]
    assert "custom_gradient" in algebra_rules.rule_names()


def test_host_ops_by_design_are_the_python_stdout_and_lapack_ones():
    assert {n for n, op in REGISTRY.items() if op.host} == {
        "print", "write_summary", "py_function", "py_function_grad", "matrix_inverse",
        "matrix_determinant", "log_matrix_determinant", "matrix_solve", "matrix_triangular_solve",
        "cholesky", "self_adjoint_eig", "qr", "svd",
        "hash_bucket", "lookup_table_find"}   # TF's string hashes, host tables (Keras lookups)


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
