"""A CPU module cut into parts along its kernels, so LLVM compiles the parts on several threads
(runtime/llvm_pool.py, cpu_engine.compile_ir) and MCJIT links their objects into one engine.

The Lowerer's module is an entry function (`agj_entry`) that calls one internal function per
kernel (`k_*`); a kernel reaches only its own helpers (its parallel-for chunk, the always-inlined
vector math), constant globals and declarations. So:

- part 0 holds the entry, what it reaches, and a `declare` of every kernel;
- each other part holds a run of kernels in module order (made external, so the entry's object
  finds them in the engine's own symbol table first), the helpers they reach (internal copies
  in every part that uses one: the vector math's `linkonce_odr` becomes `internal`, so no two
  objects of an engine define one symbol), the constant globals and declarations they reach,
  and every header, attribute and metadata line.

The runs are cut by IR size into at most MAX_PARTS - 1, the same on every machine, so a module's
parts — and their object code, and the disk cache's keys — never depend on the host's threads.

What differs from compiling the module whole: LLVM no longer inlines the kernels into the entry,
so each kernel is optimized on its own, with its `noalias` parameters instead of the entry's
offsets (checked on the MLP and CNN training steps: identical losses and weights after an epoch).
Modules the split would not pay for, or that it cannot cut safely, compile whole: under
MIN_BYTES of IR, fewer than two kernels, a mutable global (its state must stay one copy), static
constructors, or a kernel reaching another kernel.

Example:
    parts = split_module(ir_text)    # [entry part, kernel part, ...] or None: compile whole
"""
import re

from ..ir_text import balanced_runs, items, names_in

__all__ = ["split_module", "MAX_PARTS", "MIN_BYTES"]

ENTRY = "agj_entry"
# Parts at most: more would cost memory (each part's O3 run leaves ~70 KB in the process that
# runs it, runtime/llvm_worker.py) and per-part overheads for little time on a few cores.
MAX_PARTS = 5
MIN_BYTES = 16384   # smaller modules compile in a few ms whole: splitting them gains nothing
_CONSTANT = re.compile(r"^@(\"[^\"]+\"|[-\w.$]+)\s*=\s*(?:\w+\s+)*constant\b")
_PARAM_NAME = re.compile(r'\s+%("[^"]*"|[-\w.$]+)(?=[,)])')


def _declaration(define_text):
    """`declare` for a `define internal ...` text: its header, without linkage, names or body."""
    header = define_text.split("\n", 1)[0].rstrip().rstrip("{").rstrip()
    header = re.sub(r"^define\s+(?:internal\s+|private\s+)?", "declare ", header)
    return _PARAM_NAME.sub("", header)


def _reach(roots, defines, globals_, stop):
    """The names reached from the texts `roots`: through helper bodies (defined functions not in
    `stop`) and global initializers."""
    reached, todo = set(), list(roots)
    while todo:
        for name in names_in(todo.pop()):
            if name in reached:
                continue
            reached.add(name)
            if name in globals_:
                todo.append(globals_[name])
            elif name in defines and name not in stop:
                todo.append(defines[name])
    return reached


def split_module(ir_text, most=None, min_bytes=None):
    """[module texts]: the entry part, then runs of kernels; or None (see the module docstring).

    Args:
      ir_text: the Lowerer's module (codegen/llvm/lower.py).
      most: parts at most, entry part included (default MAX_PARTS); fewer than 2: None.
      min_bytes: modules smaller than this compile whole (default MIN_BYTES).
    """
    most = MAX_PARTS if most is None else most
    min_bytes = MIN_BYTES if min_bytes is None else min_bytes
    if len(ir_text) < min_bytes or most < 2 or "@llvm.global_ctors" in ir_text:
        return None
    found = items(ir_text)
    if found is None:
        return None
    defines = {name: text for kind, name, text in found if kind == "define"}
    globals_ = {name: text for kind, name, text in found if kind == "global"}
    if ENTRY not in defines or any(not _CONSTANT.match(text) for text in globals_.values()):
        return None
    kernels = [name for name in dict.fromkeys(names_in(defines[ENTRY]))
               if name in defines and name != ENTRY
               and defines[name].startswith("define internal ")]
    if len(kernels) < 2:
        return None
    kernel_set = set(kernels)
    helpers = set(defines) - kernel_set - {ENTRY}
    reach_of = {k: _reach([defines[k]], defines, globals_, kernel_set) for k in kernels}
    if any(reach_of[k] & (kernel_set - {k}) for k in kernels):
        return None   # a kernel calls (or takes the address of) another: compile whole
    entry_reach = _reach([defines[ENTRY]], defines, globals_, kernel_set)
    sizes = [len(defines[k]) + sum(len(defines[h]) for h in reach_of[k] & helpers)
             for k in kernels]
    parts = [_part(found, {ENTRY}, entry_reach, declared=kernel_set)]
    for run in balanced_runs(kernels, sizes, most - 1):
        reached = set().union(*(reach_of[k] for k in run))
        parts.append(_part(found, set(run), reached, exported=set(run)))
    return parts


def _part(found, own, reached, declared=frozenset(), exported=frozenset()):
    """One part's text: the `own` definitions (the `exported` ones made external), the helpers,
    globals and declarations in `reached`, `declare`s of the `declared` kernels defined in other
    parts, and every other line."""
    lines = []
    for kind, name, text in found:
        if kind == "define":
            if name in own or (name in reached and name not in declared):
                if name in exported:
                    text = "define " + text[len("define internal "):]
                elif text.startswith("define linkonce_odr "):   # one copy per part: private
                    text = "define internal " + text[len("define linkonce_odr "):]
                lines.append(text)
            elif name in declared:
                lines.append(_declaration(text))
        elif kind in ("declare", "global"):
            if name in reached:
                lines.append(text)
        else:
            lines.append(text)
    return "\n".join(lines)
