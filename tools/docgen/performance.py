"""docs/performance.md: the recorded benchmark run (docs/data/benchmarks.json, written by
`python -m benchmarks --save-json`) as the table `python -m benchmarks` prints and as the ratio
plot (docs/images/benchmarks.png), in the template templates/performance.md."""
import os


def values(docs_dir):
    from benchmarks import plot, table
    rows, header = plot.load_json(os.path.join(docs_dir, "data", "benchmarks.json"))
    images = os.path.join(docs_dir, "images")
    os.makedirs(images, exist_ok=True)
    plot.plot(rows, header, os.path.join(images, "benchmarks.png"))
    return {"bench_header": f"```\n{header}\n```", "bench_table": f"```\n{table.render(rows)}\n```"}


def write(docs_dir):
    from . import pages
    return [pages.write(docs_dir, "performance", values(docs_dir)), "images/benchmarks.png"]
