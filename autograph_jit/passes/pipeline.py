"""The optimizer pipeline: one ordered list of passes, options to switch each off, and a record
of every step for `cf.explain()`.

Each pass is a module of this package with `NAME`, `SUMMARY` and `run(graph) -> Graph`; a pass
never changes the graph it is given (the traced graph stays as traced, for replay and
GradientTape). After each pass the result is verified, so a broken rewrite is reported with the
pass's name.

Options use TensorFlow's names where TF has one (`tf.config.optimizer.set_experimental_options`),
and this project's pass names otherwise; they can be set globally (`tf.config.optimizer`) or per
function (`@tf.function(optimizer_options={...})`, which wins):

    TF option                    passes
    constant_folding             constant_fold
    arithmetic_optimization      simplify
    common_subgraph_elimination  cse
    loop_optimization            licm
    dependency_optimization      dce        (also off with disable_model_pruning=True)
    remapping                    matmul_fusion, elementwise_fusion, reduction_fusion
    disable_meta_optimizer=True  every pass off
    (any pass name)              that pass, e.g. {"elementwise_fusion": False}
"""
import time

from ..errors import OptimizerError, VerificationError
from ..ir import gc_pause
from ..ir.clone import clone_graph
from ..ir.verifier import verify
from . import (buffer_plan, constant_fold, cse, dce, elementwise_fusion, licm, matmul_fusion,
               reduction_fusion, simplify)
from . import verify as verify_pass

PIPELINE = (verify_pass, constant_fold, simplify, cse, licm, dce, matmul_fusion,
            elementwise_fusion, reduction_fusion, buffer_plan)

PASS_NAMES = tuple(p.NAME for p in PIPELINE)

TF_OPTIONS = {
    "constant_folding": ("constant_fold",),
    "arithmetic_optimization": ("simplify",),
    "common_subgraph_elimination": ("cse",),
    "loop_optimization": ("licm",),
    "dependency_optimization": ("dce",),
    "remapping": ("matmul_fusion", "elementwise_fusion", "reduction_fusion"),
}
# Accepted for compatibility with TF programs; they name Grappler passes with no counterpart
# here (layouts, host pinning, mixed precision, ...), so they change nothing. Function inlining
# (function_optimization) has nothing to do: tracing replays a nested tf.function's graph into the
# caller's (ops/replay.py), so no call node ever reaches the optimizer.
TF_IGNORED = ("function_optimization", "layout_optimizer", "shape_optimization", "debug_stripper",
              "scoped_allocator_optimization", "pin_to_host_optimization",
              "implementation_selector", "auto_mixed_precision", "min_graph_nodes")
INVERTED = {"disable_model_pruning": ("dce",), "disable_meta_optimizer": PASS_NAMES}

# The process-wide options `tf.config.optimizer.set_experimental_options` sets (config.py edits
# this dict; keeping it here lets the pipeline read it without importing the public config).
GLOBAL_OPTIONS = {}


def check_options(options):
    """Raise ValueError naming an unknown option (and listing the known ones)."""
    known = set(TF_OPTIONS) | set(TF_IGNORED) | set(INVERTED) | set(PASS_NAMES)
    for key in options or {}:
        if key not in known:
            raise ValueError(f"unknown optimizer option {key!r}. Known: TF's "
                             f"{sorted(set(TF_OPTIONS) | set(INVERTED))} and the pass names "
                             f"{list(PASS_NAMES)}")


def enabled_passes(*option_dicts):
    """The pass names switched on by the option dicts, later dicts overriding earlier ones."""
    on = {name: True for name in PASS_NAMES}
    for options in option_dicts:
        check_options(options)
        for key, value in (options or {}).items():
            if key in TF_OPTIONS:
                names, flag = TF_OPTIONS[key], bool(value)
            elif key in INVERTED:
                names, flag = INVERTED[key], not value
                if not value:
                    continue  # "disable_x=False" restores nothing another option switched off
            elif key in PASS_NAMES:
                names, flag = (key,), bool(value)
            else:
                continue
            for name in names:
                on[name] = flag
    return tuple(name for name in PASS_NAMES if on[name])


class Step:
    """One pass run: its name, what it is for, seconds, and the graphs before and after."""

    __slots__ = ("module", "seconds", "before", "after")

    def __init__(self, module, seconds, before, after):
        self.module = module
        self.seconds = seconds
        self.before = before
        self.after = after

    @property
    def name(self):
        return self.module.NAME

    @property
    def changed(self):
        return self.after is not self.before and str(self.after) != str(self.before)


@gc_pause.pausing  # (no garbage collection walks the heap mid-compile)
def run_pipeline(graph, enabled=PASS_NAMES, verified=False):
    """Run the enabled passes in pipeline order on (copies of) `graph`.
    `verified`: the caller verified `graph` itself already (the tracer does, for a
    ConcreteFunction's graph), so the verify pass records its step without checking it again.
    Returns (optimized graph, [Step, ...])."""
    steps = []
    current = graph
    for module in PIPELINE:
        if module.NAME not in enabled:
            continue
        start = time.perf_counter()
        try:
            result = current if verified and module is verify_pass else module.run(current)
        except Exception as e:  # a pass bug must not look like the user's error
            _name_first_invalid(steps)  # an earlier pass may have broken the graph it got
            raise OptimizerError(
                f"optimizer pass {module.NAME!r} failed on function {graph.name!r}: "
                f"{type(e).__name__}: {e}. This is a bug in the optimizer; switch the pass off "
                f"with @tf.function(optimizer_options={{{module.NAME!r}: False}}) to work "
                "around it.") from e
        seconds = time.perf_counter() - start
        steps.append(Step(module, seconds, current, result))
        current = result
    # Verify once at the end (verifying after every pass was half the pipeline's time); when the
    # result is invalid, the kept intermediate graphs name the first pass that broke it.
    try:
        verify(current)
    except VerificationError:
        _name_first_invalid(steps)
        raise
    if current is graph:  # every enabled pass was an identity: still hand out a private copy
        current = clone_graph(graph)
    return current, steps


def _name_first_invalid(steps):
    """Raise a VerificationError naming the first step whose output graph is invalid."""
    for step in steps:
        try:
            verify(step.after)
        except VerificationError as e:
            raise VerificationError(
                f"the graph is invalid after pass {step.name!r}: {e}. This is a bug in the "
                f"optimizer; switch the pass off with optimizer_options={{{step.name!r}: "
                "False}} to work around it.") from None


def optimize_concrete_function(cf):
    """Run the pipeline for a ConcreteFunction with the global options overridden by the
    function's own; the time of each pass goes into cf.stage_times. Returns (graph, steps)."""
    enabled = enabled_passes(GLOBAL_OPTIONS,
                             getattr(cf, "optimizer_options", None))
    graph, steps = run_pipeline(cf.graph, enabled,
                                verified=getattr(cf, "graph_verified", False))
    cf.stage_times.extend(("pass " + s.name, s.seconds) for s in steps)
    return graph, steps
