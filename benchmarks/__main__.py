"""`python -m benchmarks [--quick] [--only NAME] [--peers LIST]`: every workload, one table.

Workloads in the order of issue 6; each is also a script of its own (`python -m benchmarks.matmul`).
"""
from . import (checkpoint, collatz, data_pipeline, eager_ops, elementwise, keras_fit, linreg_sgd,
               matmul, mlp_step, ragged, warm_call)
from .cli import run_and_print

WORKLOADS = {m.NAME: m.run for m in (elementwise, collatz, warm_call, mlp_step, linreg_sgd, matmul,
                                      data_pipeline, keras_fit, checkpoint, eager_ops, ragged)}


def main(argv=None):
    return run_and_print("python -m benchmarks",
                         "autograph_jit eager vs graph vs peers: every workload, one table.",
                         WORKLOADS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
