"""The seed-course examples (tests/examples, vendored from ../shared/examples) whose features
exist print their expected output.

Each name below runs through the corpus' own checker (check.py), in a subprocess, against this
checkout. An example joins the list when the features it uses land.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Vendored in the repository (tests/examples) so a clone runs them; ../shared/examples is the source.
EXAMPLES = os.path.join(ROOT, "tests", "examples")

EAGER = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "12", "13", "14", "29", "30"]
TRACING = ["10", "11", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "36"]
KERAS = ["26", "27", "28", "31", "32", "33", "34", "35", "37", "38", "39"]
GROUPS = {"eager": EAGER, "tracing": TRACING, "keras": KERAS}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_examples_print_expected_output(group):
    names = GROUPS[group]
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "check.py"), "-j", "2", *names],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
