"""`python -m tools.docgen [--docs DIR] [PART ...]`: write the generated parts of the docs (all by
default): `api` (docs/api/), `compiler` (inside-the-compiler.md and its pictures), `tf-function`,
`performance` (from the recorded docs/data/benchmarks.json). `make docs` runs it, then mkdocs."""
import argparse
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARTS = ("api", "compiler", "tf-function", "performance")


def write(part, docs_dir):
    if part == "api":
        from . import api
        return api.write(docs_dir)
    if part == "compiler":
        from . import compiler
        return compiler.write(docs_dir)
    if part == "tf-function":
        from . import pages
        return [pages.write(docs_dir, "tf-function")]
    if part == "performance":
        from . import performance
        return performance.write(docs_dir)
    raise ValueError(f"unknown part {part!r}; one of {', '.join(PARTS)}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tools.docgen", description=__doc__)
    p.add_argument("parts", nargs="*", metavar="PART",
                   help="what to write: " + ", ".join(PARTS) + " (default: all)")
    p.add_argument("--docs", default=os.path.join(ROOT, "docs"), help="the docs folder")
    args = p.parse_args(argv)
    unknown = [x for x in args.parts if x not in PARTS]
    if unknown:
        p.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    for part in args.parts or PARTS:
        for rel in write(part, args.docs):
            print(os.path.join(args.docs, rel))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
