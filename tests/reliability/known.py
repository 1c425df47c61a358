"""Divergences the fuzzer finds that belong to bugs already reported (each with a minimal
`xfail(strict=True)` test in test_fuzz_findings.py) or to eager/graph differences TF has too
(each explained below). A generated program whose every divergence matches one of these signatures
is counted as "known" instead of failing; any other divergence fails. Remove a bug's entry when it
is fixed (its strict xfail test then starts failing)."""
import re

CONTROL_FLOW = {"cond", "while", "ag_if", "ag_while", "ag_for", "ag_for_rows", "tensor_array"}
GRAD = {"grad_inside", "grad_outside"}
ALL = GRAD | {"plain", "variables"}

# name: (regex on the divergence line, features the program must all have, one of which)
KNOWN = {
    # gradient through a TensorArray with dynamic_size=True written in a graph loop
    "ta-dynamic-grad": (r"TensorArray\.write: could not write to TensorArray index \d+: the "
                        r"array holds elements of shape", {"tensor_array_dynamic"}, GRAD),
    # defect 5 (rel-compiler), what remains: a graph gradient through while/cond leaves out the
    # loop variables that no live variable reaches at any step (as eagerly), but a variable live
    # only after some iterations gets a dense zero when the loop runs fewer (a loop of 0
    # iterations: eagerly no path at all, None); 0 * inf upstream then gives NaN (TF graphs too).
    # ([\s\S]: a multi-row array prints on several lines)
    "zero-cotangent-nan": (r"result [1-9]\d*: (None vs array\([\s\S]*nan|graph has NaN where eager "
                           r"has a number)", set(), GRAD),
    # an integer division by zero feeding only a branch predicate whose branches the optimizer
    # proved equal (`not not x` is x) is pruned with the branch: the graph returns where eager
    # raised. TF graphs prune unused stateless ops the same way; accepted.
    "pruned-trap": (r"call \d+: error \(InvalidArgumentError: Integer division by zero\) vs ok",
                    set(), {"cond", "ag_if"}),
    # state after a call that raised is not comparable: a graph orders a variable write only
    # against the ops that read the variable, so a pure op that fails may run before or after
    # an unrelated write (TF graphs likewise); eagerly everything before the failure happened.
    # (A write the failing op depends on being lost is a bug: see test_fuzz_findings.py.)
    "state-after-error": None,  # recognised by is_state_after_error() below
}


def classify(divergence, features=frozenset()):
    """The name of the known bug this divergence line of a program with `features` matches."""
    for name, entry in KNOWN.items():
        if entry is None:
            continue
        pattern, needs, any_of = entry
        if needs <= features and (features & any_of) and re.search(pattern, divergence):
            if name == "zero-cotangent-nan" and not features & CONTROL_FLOW:
                continue
            return name
    return None


def is_state_after_error(program, records):
    """A variables program where eager and a graph mode agree up to the first call that raised,
    and differ only in calls after it (state the failed call had already written)."""
    if not program.variables:
        return False
    failed = [k for k, rec in enumerate(records["eager"]) if rec[0] == "error"]
    return bool(failed) and failed[0] < len(records["eager"]) - 1


def unexplained(program, records, divergences):
    """The divergences not explained by a known bug."""
    if divergences and is_state_after_error(program, records):
        first = next(k for k, rec in enumerate(records["eager"]) if rec[0] == "error")
        divergences = [d for d in divergences
                       if not any(f"call {k}" in d for k in range(first + 1, 3))]
    return [d for d in divergences if classify(d, program.features) is None]
