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
