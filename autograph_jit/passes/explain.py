"""`cf.explain()`: the compilation of one concrete function, stage by stage, as a handout.

By default one screen: the time of each stage, which passes changed the graph, and the backend's
report (kernels, host callbacks, fallbacks and why). `verbose=True` shows the time of every stage (conversion, tracing, each pass, the backend's steps), then the
traced graph, then for each pass what it is for, the node count before and after, which ops it
added or removed, and the graph it produced (when it changed anything), then the memory plan and
whatever the backend reports (fallbacks and why).
"""
from ..runtime import llvm_worker
from .stats import count_nodes, describe_change
from ..ir.printer import value_names
from .pipeline import PASS_NAMES

_RULE = "─" * 78


class Explanation(str):
    """Text that shows as itself in a REPL (not as an escaped string)."""

    def __repr__(self):
        return str(self)


def _ms(seconds):
    return f"{seconds * 1000:8.2f} ms"


def _why(module):
    """The paragraph after the title line of a pass module's docstring."""
    paragraphs = [p.strip() for p in (module.__doc__ or "").split("\n\n") if p.strip()]
    text = paragraphs[1] if len(paragraphs) > 1 else ""
    return "\n".join("   " + line.strip() for line in text.splitlines())


def explain(cf, verbose=False):
    graph = cf.optimized_graph  # runs the pipeline if it has not run yet
    if not verbose:
        return _short(cf, graph)
    steps = cf._pass_steps
    traced = count_nodes(cf.graph)
    final = count_nodes(graph)
    out = [f"How `{cf.name}` is compiled (backend {cf.backend!r})", _RULE,
           "Tracing ran your Python once and recorded every op as a node of a graph (0. below).",
           "Then each optimizer pass, in order, takes the graph and returns a new one; a pass that",
           "changes something shows which ops it added and removed, and the graph it made. The",
           "last graph is what the backend runs. `cf.graph` stays as traced; `cf.optimized_graph`",
           "is the result. Switch passes off with @tf.function(optimizer_options={...}) or",
           "tf.config.optimizer.set_experimental_options({...}) to compare.",
           "",
           "Node counts: every node once (constants included), nodes inside cond/while regions",
           "too, a fusion node as one. Scalar constants print inline (`2.0:f32`).", "",
           "Stages"]
    total = 0.0
    for name, seconds in cf.stage_times:
        out.append(f"  {name:<28}{_ms(seconds)}")
        total += seconds
    out.append(f"  {'total':<28}{_ms(total)}")
    out += ["", _RULE, f"0. traced graph — {traced} nodes", _RULE, str(cf.graph)]
    for k, step in enumerate(steps, 1):
        before, after = count_nodes(step.before), count_nodes(step.after)
        out += ["", _RULE, f"{k}. {step.name}: {step.module.SUMMARY}", _RULE]
        why = _why(step.module)
        if why:
            out += [why, ""]
        if not step.changed:
            out.append(f"   {before} → {after} nodes in {step.seconds * 1000:.2f} ms: "
                       "no change to the printed graph.")
            plan = step.after.memory_plan if step.name == "buffer_plan" else None
            if plan is not None:
                out += ["", _plan_text(step.after)]
            continue
        change = describe_change(step.before, step.after)
        out.append(f"   {before} → {after} nodes in {step.seconds * 1000:.2f} ms"
                   + (f" ({change})" if change else " (same ops, rewired)"))
        out += ["", str(step.after)]
    disabled = _disabled(steps)
    if disabled:
        out += ["", f"Passes switched off: {', '.join(disabled)}"]
    report = _report(cf)
    if report:
        out += ["", _RULE, "backend", _RULE] + [f"  {line}" for line in report]
    ratio = f" ({traced / final:.1f}x fewer)" if final else ""
    out += ["", f"Summary: {traced} traced nodes → {final} optimized{ratio}."]
    return Explanation("\n".join(out))


def _short(cf, graph):
    """One screen: stage times, what each pass changed, the backend's report, the summary."""
    steps = cf._pass_steps
    traced, final = count_nodes(cf.graph), count_nodes(graph)
    ratio = f" ({traced / final:.1f}x fewer)" if final else ""
    out = [f"How `{cf.name}` is compiled (backend {cf.backend!r}): {traced} traced nodes → "
           f"{final} optimized{ratio}", "", "Stages"]
    total = 0.0
    for name, seconds in cf.stage_times:
        if not name.startswith("pass "):
            out.append(f"  {name:<28}{_ms(seconds)}")
        total += seconds
    passes = sum(s for n, s in cf.stage_times if n.startswith("pass "))
    out.append(f"  {'optimizer passes':<28}{_ms(passes)}")
    out.append(f"  {'total':<28}{_ms(total)}")
    changed = [f"{s.name} ({count_nodes(s.before)} → {count_nodes(s.after)})"
               for s in steps if s.changed]
    out += ["", "Passes that changed the graph: " + (", ".join(changed) or "none")]
    disabled = _disabled(steps)
    if disabled:
        out.append(f"Passes switched off: {', '.join(disabled)}")
    report = _report(cf)
    if report:
        out += ["", "Backend"] + [f"  {line}" for line in report]
    elif cf.backend == "cpu":
        out += ["", "Backend", "  not compiled yet: the native code is built on the first call"]
    out += ["", "cf.explain(verbose=True) adds the graph after every pass and what each pass "
                "does."]
    return Explanation("\n".join(out))


def _report(cf):
    """The backend's report, and for native code where LLVM optimized it (runtime/llvm_worker)."""
    report = list(getattr(cf, "_backend_report", None) or ())
    if report and cf.backend == "cpu":
        report.append(llvm_worker.describe())
    return report


def _plan_text(graph):
    return graph.memory_plan.describe(value_names(graph))


def _disabled(steps):
    ran = {s.name for s in steps}
    return [n for n in PASS_NAMES if n not in ran]
