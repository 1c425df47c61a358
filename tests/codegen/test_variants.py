"""The shape-variant policy (codegen/llvm/variants.py): a top-level graph compiles every input
shape; a segment after a data-dependent shape compiles its first shapes at once, later ones only
when they recur, never more than MAX_VARIANTS; results never depend on which path ran."""
import numpy as np
import pytest

import autograph_jit as tf
from autograph_jit.codegen.llvm.variants import (EAGER_VARIANTS, MAX_VARIANTS, RECURRENCE,
                                                 VariantPolicy)


def test_first_shapes_compile_at_once_and_later_ones_on_recurrence():
    p = VariantPolicy(data_dependent=True)
    assert all(p.should_compile(("s", k), k) for k in range(EAGER_VARIANTS))
    key = ("late",)
    answers = [p.should_compile(key, EAGER_VARIANTS) for _ in range(RECURRENCE)]
    assert answers == [False] * (RECURRENCE - 1) + [True]


def test_one_off_shapes_never_compile_past_the_first_variants():
    p = VariantPolicy(data_dependent=True)
    assert not any(p.should_compile(("one-off", k), EAGER_VARIANTS) for k in range(500))


def test_nothing_compiles_past_the_maximum():
    p = VariantPolicy(data_dependent=True)
    assert not any(p.should_compile(("k",), MAX_VARIANTS) for _ in range(10))


def test_a_top_level_graph_compiles_every_new_shape():
    p = VariantPolicy()
    assert all(p.should_compile(("s", k), k) for k in range(3 * MAX_VARIANTS))


@pytest.mark.filterwarnings("ignore:.*run on the interpreter")
def test_a_recurring_late_shape_after_a_boolean_mask_ends_up_compiled_with_the_same_results():
    # (the where_indices inside boolean_mask runs on the interpreter: a data-dependent shape)
    f = tf.function(lambda x: tf.reduce_sum(tf.square(tf.boolean_mask(x, x > -1.0))),
                    backend="cpu", autograph=False,
                    input_signature=[tf.TensorSpec([None], tf.float32)])

    def check(n):  # n elements pass the mask; the input keeps one shape
        x = np.where(np.arange(64) < n, np.arange(64), -5).astype(np.float32)
        assert float(f(tf.constant(x))) == float(np.sum(x[:n] * x[:n]))

    def suffix_plans():
        cpu = f.get_concrete_function()._cpu
        return max((len(p) for p in _suffix_plan_tables(cpu)), default=0)

    for n in range(1, EAGER_VARIANTS + 1):
        check(n)
    assert suffix_plans() == EAGER_VARIANTS
    for call in range(RECURRENCE):
        check(40)
        assert suffix_plans() == EAGER_VARIANTS + (call == RECURRENCE - 1)
    check(41)  # a one-off shape: interpreted, not compiled
    assert suffix_plans() == EAGER_VARIANTS + 1


def _suffix_plan_tables(cpu):
    """The plan tables of the segments after a data-dependent node (CpuFunction._segmented)."""
    out = []
    for plan in cpu._plans.values():
        for cell in getattr(type(plan).__call__, "__closure__", None) or ():
            fn = cell.cell_contents
            if getattr(fn, "_data_dependent", False):
                out.append(fn._plans)
    return out
