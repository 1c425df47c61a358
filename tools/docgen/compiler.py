"""docs/inside-the-compiler.md: every stage of the compiler with its real output, produced by
running the programs of `tools/docgen/examples.py` now (converted code, graphs, each pass, LLVM
IR, assembly, timings) and pictures in docs/images/. The prose is the template
`templates/inside-the-compiler.md`; each `{{name}}` in it is replaced by a generated block."""
import inspect
import os
import platform
import re

MAX_LINES = 60


def _code(text, lang=""):
    return f"```{lang}\n{text.rstrip()}\n```"


def _head(text, n=MAX_LINES):
    lines = text.rstrip().splitlines()
    if len(lines) <= n:
        return text.rstrip()
    return "\n".join(lines[:n]) + f"\n... ({len(lines) - n} more lines; {len(lines)} in all)"


def _llvm_function(ir, name_part):
    """The text of the first `define` in `ir` whose name contains `name_part`."""
    m = re.search(r"^define [^\n]*@\"?[\w.]*%s[\w.]*\"?\(.*?^}\n" % re.escape(name_part), ir,
                  re.M | re.S)
    return m.group(0) if m else ""


def blocks(images_dir):
    """{placeholder: Markdown} for the template; pictures are written into images_dir."""
    import autograph_jit as tf
    from autograph_jit.ir.render import render_dot

    from . import examples

    out = {}
    source = inspect.getsource(examples)
    out["source"] = _code("# tools/docgen/examples.py\n" + source.split('"""', 2)[2].strip(),
                          "python")

    # AutoGraph
    out["collatz_converted"] = _code(tf.autograph.to_code(examples.collatz.python_function),
                                     "python")
    collatz = examples.collatz.get_concrete_function(tf.constant(27))
    out["collatz_result"] = _code(f">>> collatz(tf.constant(27))\n{collatz(tf.constant(27))!r}",
                                  "python")
    out["collatz_traced"] = _code(str(collatz.graph))
    out["collatz_optimized"] = _code(str(collatz.optimized_graph))

    # the dense layer through every stage
    cf = examples.dense_layer.get_concrete_function(tf.TensorSpec([None, 4], tf.float32))
    cf(tf.ones([2, 4]))   # the cpu backend compiles for concrete shapes on the first call
    out["dense_traced"] = _code(str(cf.graph))
    out["dense_explain"] = _code(str(cf.explain(verbose=True)))
    out["dense_optimized"] = _code(str(cf.optimized_graph))

    os.makedirs(images_dir, exist_ok=True)
    for name, dot in (("dense_layer-traced", cf.to_dot("traced")),
                      ("dense_layer-optimized", cf.to_dot("optimized")),
                      ("collatz-optimized", collatz.to_dot("optimized"))):
        render_dot(dot, "svg", path=os.path.join(images_dir, name + ".svg"), what=name)
    out["dense_dot"] = _code(_head(cf.to_dot("optimized"), 30), "dot")

    ir = cf.llvm_ir()
    kernel = _llvm_function(ir, "k_matmul") or _llvm_function(ir, "k_")
    out["llvm_kernel"] = _code(kernel, "llvm")
    defines = re.findall(r"^define [^\n]*", ir, re.M)
    out["llvm_functions"] = _code("\n".join(defines), "llvm")
    opt = cf.llvm_ir(optimized=True)
    out["llvm_optimized"] = _code(_head(opt, 45), "llvm")
    asm = cf.asm()
    start = asm.find("agj_entry:")
    pool = len(asm[:start].splitlines()) if start > 0 else 0
    out["asm_pool_lines"] = str(pool)
    out["asm"] = _code(_head(asm[start:] if start > 0 else asm, 60), "nasm")
    out["backend_report"] = _code("\n".join(cf.backend_report))

    rows = ["| stage | time |", "| --- | --- |"]
    for stage, seconds in cf.stage_times:
        rows.append(f"| {stage} | {seconds * 1e3:.2f} ms |")
    out["stage_times"] = "\n".join(rows)
    out["machine"] = (f"{platform.machine()}, Python {platform.python_version()}, "
                      f"autograph_jit {tf.__version__}")
    return out


def write(docs_dir):
    from . import pages
    images = os.path.join(docs_dir, "images")
    return [pages.write(docs_dir, "inside-the-compiler", blocks(images)),
            "images/dense_layer-traced.svg", "images/dense_layer-optimized.svg",
            "images/collatz-optimized.svg"]
