"""The printed table: one line a Row, aligned columns, times with units, ratios vs our graph time.

Every ratio is *our graph time / that column's time*: below 1 means our compiled function is
faster (rows comparing eager modes, `Row.base == "eager"`: *our eager time / that time*). The
"TF eager" column is TensorFlow without tf.function. The target column restates the issue's goals for the row and whether this run met them.
"""
import numpy as np

from . import peers as _peers

COLUMNS = ("eager", "graph", "specialized", "numpy") + _peers.ORDER + ("tf_eager",)
LABELS = {"eager": "ours eager", "graph": "ours graph", "specialized": "ours per-shape",
          "numpy": "numpy", **_peers.LABELS, "tf_eager": "TF eager"}
_MARK = {True: "✓", False: "✗", None: "n/a"}


def fmt_time(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(r):
    """Two significant digits, never in e-notation (0.000094×, 0.5×, 22×)."""
    if r is None:
        return "—"
    if r >= 10:
        return f"{r:.0f}×"
    return np.format_float_positional(r, precision=2, fractional=False, trim="-") + "×"


def _cell(row, column):
    m = row.cells.get(column)
    if m is None:
        return ""
    if m.seconds is None:
        return "failed"
    text = fmt_time(m.seconds)
    if column != row.base:
        text += f" {fmt_ratio(row.ratio(column))}"
    return text + (" ≠" if m.error else "")


def _target_text(row):
    parts = []
    for t in row.targets:
        parts.append(f"{t.text(LABELS)} {_MARK[t.judge(row)]}")
    return ", ".join(parts)


def used_columns(rows):
    return [c for c in COLUMNS if any(c in r.cells for r in rows)]


def render(rows, title=None):
    """The whole table as text: header, rule, one line a row, then the legend and notes."""
    columns = used_columns(rows)
    head = ["workload", "size", *(LABELS[c] for c in columns), "= eager", "target (this run)"]
    body = [[r.workload, r.size, *(_cell(r, c) for c in columns),
             {True: "yes", False: "NO", None: ""}[r.equal], _target_text(r)] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(head)]
    lines = [title] if title else []
    lines.append(" | ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(b, widths)).rstrip() for b in body]
    lines.append("")
    lines.append("Times are medians per call. N× after a time = our graph time / that time "
                 "(below 1: ours is faster). ≠: result differs from our eager result.")
    if any(r.base != "graph" for r in rows):
        lines.append("Rows named 'eager: ...' compare eager modes: there N× = our eager time / "
                     "that time.")
    notes = [(r, n) for r in rows for n in r.notes]
    notes += [(r, f"{LABELS.get(c, c)}: {m.error}") for r in rows for c, m in r.cells.items()
              if m.seconds is None and m.error]
    for r, n in notes:
        lines.append(f"  {r.workload} [{r.size}]: {n}")
    return "\n".join(lines)
