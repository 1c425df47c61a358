"""Hostile inputs (hostile_cases.py), each group in a child process: a signal, a hang or a raw
internal error fails the case by name, and the remaining cases still run in a fresh child.
Cases that hit a defect another engineer is fixing are listed in KNOWN; they must still fail
(strict): when one passes, its entry goes."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT_S = 240

KNOWN = {
}
GROUPS = ["indices", "shapes", "dtypes", "layouts", "subclasses", "huge", "cache", "saved_model"]


def run_group(group, tmp_path, names=()):
    """{case: "ok" | failure text}, running the group's cases in children until all have run."""
    env = dict(os.environ, PYTHONPATH=ROOT, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONFAULTHANDLER="1")
    results, pending, started = {}, list(names), None
    while True:
        cmd = [sys.executable, "-m", "tests.reliability.hostile", group, *pending]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT,
                               env=env)
            out, rc, err = p.stdout, p.returncode, p.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            rc, err = "timeout", ""
        order = []
        for line in out.splitlines():
            if line.startswith("#case "):
                started = line[6:]
                order.append(started)
            elif line.startswith("#ok "):
                results[line[4:]] = "ok"
            elif line.startswith("#fail "):
                name, _, why = line[6:].partition(": ")
                results[name] = why
        if rc == 0:
            return results
        if not order:  # the child died before its first case
            return {"<runner>": f"status {rc}: {err[-1500:]}"}
        culprit = order[-1]
        how = "hung (killed after %ds)" % TIMEOUT_S if rc == "timeout" else (
            f"killed by signal {-rc}" if isinstance(rc, int) and rc < 0 else f"exit status {rc}")
        results[culprit] = f"process {how}: {err[-1500:]}"
        # run the cases after the culprit in a fresh child
        from . import hostile_cases
        every = list(hostile_cases.GROUPS[group])
        pending = every[every.index(culprit) + 1:]
        if not pending:
            return results


@pytest.mark.parametrize("group", GROUPS)
def test_hostile_inputs_never_crash_hang_or_silently_differ(group, tmp_path):
    results = run_group(group, tmp_path)
    from . import hostile_cases
    assert set(hostile_cases.GROUPS[group]) <= set(results), "some cases did not run"
    bad = {n: why for n, why in results.items() if why != "ok" and n not in KNOWN}
    fixed = [n for n, why in results.items() if why == "ok" and n in KNOWN]
    lines = [f"{n}: {why}\n  repro: python -m tests.reliability.hostile {group} {n}"
             for n, why in bad.items()]
    lines += [f"{n} passes now: remove it from KNOWN in test_hostile.py" for n in fixed]
    assert not lines, "\n".join(lines)


def test_a_crashing_case_is_reported_by_name_and_the_rest_still_run(tmp_path):
    results = run_group("selftest", tmp_path)
    assert results["before_the_crash"] == "ok"
    assert "killed by signal" in results["segfault"], results
    assert results["after_the_crash"] == "ok"
