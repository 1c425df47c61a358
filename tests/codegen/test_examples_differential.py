"""Differential harness, example programs: the seed-course examples that use tf.function print
their expected output (../shared/examples/check.py) with every function on the interpreter
(AUTOGRAPH_JIT_BACKEND=eager), as tests/test_examples.py shows they do on backend="cpu" (the
default): both backends agree on whole programs, prints and errors included."""
import os
import subprocess
import sys

import pytest

from tests.test_examples import EXAMPLES, ROOT, TRACING


@pytest.mark.skipif(not os.path.isdir(EXAMPLES), reason="../shared/examples not present")
def test_tracing_examples_print_the_same_on_the_interpreter_backend():
    env = dict(os.environ, AUTOGRAPH_JIT_BACKEND="eager")
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "check.py"), "-j", "2",
                           *TRACING], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
