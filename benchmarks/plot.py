"""Saved results and the ratio plot: `--save-json FILE` keeps a run (rows + the machine header),
`--from-json FILE` reads one back instead of running, `--plot FILE` draws the ratio table with
matplotlib (extra `[plot]`).

The plot has one group of bars a table row (workload and size) and one bar a column (ours eager,
NumPy, each peer): its end is the same ratio the table prints, *our graph time / that column's
time*, on a log axis; bars grow from the line at 1, leftwards where ours is faster. Missing or
failed cells draw no bar; rows with nothing to compare (a time against a fixed target only) are
named under the plot. The title names the machine and the date of the run, so a picture made from recorded
results says where it came from.

Also a script: `python -m benchmarks.plot results.json ratios.png`.
"""
import json
import math
import sys
import textwrap

from . import table
from .harness import Measurement, Row, Target

SCHEMA = "autograph_jit-benchmarks/1"

# One colour a column, steady across plots (matplotlib's tab10 order).
_COLORS = {"eager": "#1f77b4", "numpy": "#7f7f7f", "tf": "#ff7f0e", "jax": "#2ca02c",
           "torch": "#d62728", "numba": "#9467bd"}


def _jsonable(value):
    """A measured result (NumPy arrays, scalars) is not kept: only its type, for the record."""
    return None if value is None else type(value).__name__


def rows_to_json(rows, header):
    """A run as a JSON-ready dict: the header lines (machine, versions, load) and every row."""
    out = []
    for r in rows:
        out.append({
            "workload": r.workload, "size": r.size, "equal": r.equal, "notes": list(r.notes),
            "targets": [{"column": t.column, "bound": t.bound} for t in r.targets],
            "cells": {c: {"seconds": m.seconds, "first_s": m.first_s, "error": m.error,
                          "value": _jsonable(m.value)} for c, m in r.cells.items()},
        })
    return {"schema": SCHEMA, "header": header, "rows": out}


def save_json(rows, header, path):
    """Write a run (`rows_to_json`) to `path`."""
    with open(path, "w") as f:
        json.dump(rows_to_json(rows, header), f, indent=1, ensure_ascii=False)
        f.write("\n")


def load_json(path):
    """(rows, header) from a file written by `save_json`."""
    with open(path) as f:
        data = json.load(f)
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a benchmarks results file (schema {data.get('schema')!r}, "
                         f"expected {SCHEMA!r}); write one with `python -m benchmarks "
                         "--save-json FILE`")
    rows = []
    for r in data["rows"]:
        cells = {c: Measurement(seconds=m["seconds"], first_s=m.get("first_s"),
                                error=m.get("error", "")) for c, m in r["cells"].items()}
        rows.append(Row(workload=r["workload"], size=r["size"], cells=cells,
                        targets=tuple(Target(t["column"], t["bound"]) for t in r["targets"]),
                        equal=r.get("equal"), notes=list(r.get("notes", []))))
    return rows, data.get("header", "")


def _title(header):
    lines = header.splitlines()
    first = lines[0] if lines else "autograph_jit benchmarks"
    machine = next((ln for ln in lines if ln.startswith("machine:")), "")
    load = next((ln.split(";")[0] for ln in lines if ln.startswith("load average")), "")
    return "\n".join(x for x in (first, machine, load) if x)


def plot(rows, header, path):
    """Draw the ratio table (our graph time / each column's time, log scale) into `path` (.png,
    .svg, .pdf: matplotlib picks the format from the name). Returns `path`."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("--plot needs matplotlib: pip install 'autograph_jit[plot]' "
                          "(or pip install matplotlib)") from e
    # a Figure without pyplot: no backend is switched (a notebook keeps its inline plots)

    columns = [c for c in table.used_columns(rows) if c != "graph"]
    skipped = [r for r in rows if all(r.ratio(c) is None for c in columns)]
    rows = [r for r in rows if r not in skipped]
    labels = [f"{r.workload} [{r.size}]" for r in rows]
    ratios = {c: [r.ratio(c) for r in rows] for c in columns}
    present = [c for c in columns if any(v is not None for v in ratios[c])]
    if not rows or not present:
        raise ValueError("--plot: no row has a graph time and another column to compare it with")

    # Each row gets a slot only for the bars it has, so a row with one peer is one bar tall.
    bar_h, gap = 1.0, 0.8
    y, centers, bars = 0.0, [], []      # bars: (y, ratio, column)
    for i in range(len(rows)):
        mine = [(c, ratios[c][i]) for c in present if ratios[c][i]]
        for k, (c, v) in enumerate(mine):
            bars.append((y + k * bar_h, v, c))
        centers.append(y + (len(mine) - 1) * bar_h / 2)
        y += len(mine) * bar_h + gap
    fig = Figure(figsize=(10, 1.6 + 0.16 * y))
    ax = fig.subplots()
    for c in present:
        mine = [(by, v) for by, v, col in bars if col == c]
        ys, xs = [by for by, _ in mine], [v for _, v in mine]
        # bars grow from the line at 1: leftwards where ours is faster, rightwards where slower
        ax.barh(ys, [x - 1.0 for x in xs], height=bar_h * 0.85, left=1.0,
                color=_COLORS.get(c, None), label=table.LABELS.get(c, c))
        for yy, x in mine:
            ax.text(x * 1.08 if x >= 1 else x / 1.08, yy, table.fmt_ratio(x), va="center",
                    ha="left" if x >= 1 else "right", fontsize=7, color="#333333")
    ax.set_ylim(y - gap + 0.2, -0.8)
    ax.set_xscale("log")
    values = [v for c in present for v in ratios[c] if v]
    lo, hi = min(values), max(values)
    ax.set_xlim(10 ** (math.floor(math.log10(min(lo, 1.0))) - 0.6),
                10 ** (math.ceil(math.log10(max(hi, 1.0))) + 0.4))
    ax.text(1.15, 1.0, "ours slower ▶", transform=ax.get_xaxis_transform(), ha="left",
            va="bottom", fontsize=8)
    ax.text(1 / 1.15, 1.0, "◀ ours faster", transform=ax.get_xaxis_transform(), ha="right",
            va="bottom", fontsize=8)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(centers)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("our graph time / that column's time  (log scale; < 1: ours is faster)")
    ax.grid(axis="x", which="major", color="#dddddd")
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_title(_title(header), fontsize=9, loc="left", pad=16)
    if skipped:
        names = "; ".join(f"{r.workload} [{r.size}]" for r in skipped)
        note = textwrap.fill(f"Not drawn (no column to compare with): {names}", 170)
        fig.text(0.01, 0.005, note, fontsize=6, va="bottom")
    fig.tight_layout(rect=(0, 0.03 if skipped else 0, 1, 1))
    fig.savefig(path, dpi=120)
    return path


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m benchmarks.plot RESULTS.json OUT.png", file=sys.stderr)
        return 2
    rows, header = load_json(argv[0])
    print(plot(rows, header, argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
