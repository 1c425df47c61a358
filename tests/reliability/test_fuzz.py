"""Random programs (gen.py) run eagerly, on the graph interpreter and as native code must agree
(fuzz.py says how). 250 programs here; 10,000 more under the `soak` marker (`make soak`). Each
failure prints the program and `python -m tests.reliability.fuzz --seed N` to re-run it."""
import pytest

from . import fuzz
from .gen import DTYPES, generate
from .known import unexplained

FAST = range(250)
SOAK_START, SOAK_BLOCKS, SOAK_BLOCK = 100_000, 100, 100


def _verdict(seed):
    """None when program `seed` agrees (or diverges only through known bugs); else its report."""
    program, records, divergences = fuzz.check(seed)
    rest = unexplained(program, records, divergences)
    if rest:
        return fuzz.report(program, rest)
    if divergences:
        return "known"
    return None


@pytest.mark.parametrize("seed", FAST)
def test_random_program_agrees_in_eager_interpreter_and_native_code(seed):
    verdict = _verdict(seed)
    if verdict == "known":
        pytest.xfail(f"diverges only through a bug listed in tests/reliability/known.py: "
                     f"{fuzz.repro(seed)}")
    assert verdict is None, verdict


def test_the_generator_covers_every_construct_the_harness_promises():
    feats = set().union(*(generate(s).features for s in FAST))
    wanted = {"unary", "binary", "reduce", "shape", "index", "cast", "where", "matmul", "cumsum",
              "concat", "cond", "while", "ag_if", "ag_while", "ag_for", "ag_for_rows",
              "tensor_array_fixed", "tensor_array_dynamic", "softmax", "plain", "grad_inside",
              "grad_outside", "variables", "variable_assign", "variable_assign_add",
              "variable_assign_sub", "special_values", "zero_size", "input_signature",
              "relaxed_shapes"}
    wanted |= {f"dtype_{d}" for d in DTYPES}
    assert wanted <= feats, sorted(wanted - feats)


def test_the_generator_is_deterministic_and_mostly_valid():
    assert generate(7).source == generate(7).source
    raised = 0
    for seed in range(60):
        program = generate(seed)
        raised += fuzz.run_mode(program, "eager")[0][0] == "error"
    assert raised <= 9, f"{raised} of 60 generated programs fail eagerly: the generator drifted"


@pytest.mark.soak
@pytest.mark.parametrize("block", range(SOAK_BLOCKS))
def test_soak_random_programs_agree(block):
    start = SOAK_START + block * SOAK_BLOCK
    reports = [v for v in map(_verdict, range(start, start + SOAK_BLOCK)) if v not in (None, "known")]
    assert not reports, "\n\n".join(reports)


def test_a_float_result_is_held_to_the_least_precise_float_dtype_it_was_computed_in():
    # seed 104215 computes in float16 and returns the values cast to float64: a 1-ulp float16
    # difference (2**-12 at 0.26) is agreement, where float64's own tolerance would flag it
    import numpy as np
    program = generate(104215)
    assert "float16" in program.dtypes
    assert fuzz.tolerance(program) == fuzz.RTOL["float16"]
    want = np.array([0.26123047, 0.8125])
    got = np.array([0.26098633, 0.8125])
    assert fuzz._close(want, got) is not None
    assert fuzz._close(want, got, fuzz.tolerance(program)) is None
    assert fuzz._close(want, got + 0.05, fuzz.tolerance(program)) is not None
    # a program only in float64 keeps float64's tolerance
    only64 = next(p for p in map(generate, range(100000, 100200))
                  if p.dtypes and set(p.dtypes) <= {"float64", "int32", "int64", "bool"})
    assert fuzz.tolerance(only64) == fuzz.RTOL["float64"]
