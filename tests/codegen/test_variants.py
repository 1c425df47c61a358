"""The shape-variant policy (codegen/llvm/variants.py): the first shapes compile at once, later
ones only when they recur, never more than MAX_VARIANTS; results never depend on which path ran."""
import numpy as np

import autograph_jit as tf
from autograph_jit.codegen.llvm.variants import (EAGER_VARIANTS, MAX_VARIANTS, RECURRENCE,
                                                 VariantPolicy)


def test_first_shapes_compile_at_once_and_later_ones_on_recurrence():
    p = VariantPolicy()
    assert all(p.should_compile(("s", k), k) for k in range(EAGER_VARIANTS))
    key = ("late",)
    answers = [p.should_compile(key, EAGER_VARIANTS) for _ in range(RECURRENCE)]
    assert answers == [False] * (RECURRENCE - 1) + [True]


def test_one_off_shapes_never_compile_past_the_first_variants():
    p = VariantPolicy()
    assert not any(p.should_compile(("one-off", k), EAGER_VARIANTS) for k in range(500))


def test_nothing_compiles_past_the_maximum():
    p = VariantPolicy()
    assert not any(p.should_compile(("k",), MAX_VARIANTS) for _ in range(10))


def test_a_recurring_late_shape_ends_up_compiled_with_the_same_results():
    f = tf.function(lambda x: tf.reduce_sum(x * x), backend="cpu",
                    input_signature=[tf.TensorSpec([None], tf.float32)])

    def check(n):
        x = np.arange(n, dtype=np.float32)
        assert float(f(tf.constant(x))) == float(np.sum(x * x))

    for n in range(1, EAGER_VARIANTS + 1):
        check(n)
    plans = f.get_concrete_function()._cpu._plans
    assert len(plans) == EAGER_VARIANTS
    for call in range(RECURRENCE):
        check(40)
        assert len(plans) == EAGER_VARIANTS + (call == RECURRENCE - 1)
    check(41)  # a one-off shape: interpreted, not compiled
    assert len(plans) == EAGER_VARIANTS + 1
