"""A kernel module cut into parts of whole kernels, compiled apart, and its PTX put back together.

The kernels of a plan share nothing but declarations, internal helpers (the vector-math
functions, always inlined) and the shared-memory array, so each can go through O3 and NVPTX
code generation on its own thread (runtime/llvm_pool.py) and the PTX be joined again.

- `split_kernels(ir_text)`: [(kernel names, module text)]: the kernels in module order cut
  into at most MAX_PARTS runs of about equal IR size; each part holds the header, its kernels,
  the non-kernel definitions, the declarations and globals its kernels reach, every metadata
  node but the other kernels' annotations, and an `!nvvm.annotations` naming only its kernels.
  None when the text has fewer than two kernels or a shape this reader does not know (then the
  module compiles whole).
- `join_ptx(ptxs)`: one PTX text: the (equal) header once, the parts' module-scope array
  declarations (`.shared .align 16 .b8 agj_shared[2048];`: one line each, the same text for
  the same name in every part) once, then each part's entries in order. None when a part has
  anything else at module scope (a `.func`, an `.extern`, an initialized array) or two parts
  declare one name differently: the caller compiles the module whole.

What differs from compiling the module whole (checked on the MLP and seed-CNN steps: byte-equal
cubins from ptxas for sm_75/80/90): basic-block labels number the functions from 0 in every part
(`$L__BB0_3` where the whole module says `$L__BB5_3`; PTX labels are local to their function),
and a shared-memory array used by only one kernel of a part is declared inside that kernel
("demoted") instead of at module scope.

Example:
    parts = split_kernels(ir_text)      # [(("k_matmul_0", "k_matmul_1"), text), ...] or None
"""
import re

from ..ir_text import balanced_runs, items as ir_items, names_in

__all__ = ["split_kernels", "join_ptx"]

_ANNOTATION = re.compile(r'^(![0-9]+)\s*=\s*!\{[^}\n]*@("[^"]+"|[-\w.$]+)\s*,\s*!"kernel"')
_PTX_HEADER_END = ".address_size 64\n"
_PTX_ENTRY = re.compile(r"^(?:\.visible\s+|\.weak\s+)?\.entry\s")
# Parts a module is cut into at most, on any machine (so the PTX text is the same everywhere):
# each part's O3 run leaves ~70-150 KB in the process (llvmlite's new pass manager, as on the
# CPU backend), so more parts would cost memory for little time (8 threads already bring a
# training step's LLVM time near its biggest kernel's).
MAX_PARTS = 8
_PTX_VARIABLE = re.compile(r"^(?:\.visible\s+|\.weak\s+)?\.(?:shared|global|const)\s[^=;{]*?"
                           r"([\w$]+)(?:\[\d*\])*;\s*$")


def _name(token):
    return token[1:-1] if token.startswith('"') else token


def _items(ir_text):
    """ir_text.items with the NVVM annotations told apart: the `!nvvm.annotations` line
    ("annotations") and each kernel's annotation node ("node", name (node id, kernel))."""
    found = ir_items(ir_text)
    if found is None:
        return None
    out = []
    for kind, name, text in found:
        if kind == "other" and text.startswith("!nvvm.annotations"):
            kind = "annotations"
        elif kind == "other" and (m := _ANNOTATION.match(text)):
            kind, name = "node", (m.group(1), _name(m.group(2)))
        out.append((kind, name, text))
    return out


def split_kernels(ir_text, most=MAX_PARTS):
    """[(kernel names, module text)]: the kernels in module order cut into at most `most`
    parts of about equal IR size, or None (see the module docstring)."""
    items = _items(ir_text)
    if items is None or sum(kind == "annotations" for kind, _, _ in items) != 1:
        return None
    node_of = {name[1]: name[0] for kind, name, _ in items if kind == "node"}
    body_of = {name: text for kind, name, text in items if kind == "define" and name in node_of}
    kernels = list(body_of)
    if len(kernels) < 2 or most < 2 or any("ptx_kernel" in text for kind, _, text in items
                                           if kind == "define"):
        return None
    globals_ = {name: text for kind, name, text in items if kind == "global"}
    helpers = "\n".join(text for kind, name, text in items
                        if kind == "define" and name not in node_of)
    parts = []
    for group in balanced_runs(kernels, [len(body_of[k]) for k in kernels], most):
        reached, todo = set(), [helpers] + [body_of[k] for k in group]
        while todo:   # the names the kernels reach, through helpers and global initializers
            for name in names_in(todo.pop()):
                if name not in reached:
                    reached.add(name)
                    if name in globals_:
                        todo.append(globals_[name])
        if reached & (set(kernels) - set(group)):
            return None   # a kernel's address taken elsewhere: the module compiles whole
        lines = []
        for kind, name, text in items:
            if kind == "define" and name in node_of and name not in group:
                continue
            if kind in ("declare", "global") and name not in reached:
                continue
            if kind == "node" and name[1] not in group:
                continue
            if kind == "annotations":
                text = f"!nvvm.annotations = !{{ {', '.join(node_of[k] for k in group)} }}"
            lines.append(text)
        parts.append((tuple(group), "\n".join(lines)))
    return parts


def _header_and_body(ptx):
    at = ptx.find(_PTX_HEADER_END)
    if at < 0:
        return None, None
    at += len(_PTX_HEADER_END)
    return ptx[:at], ptx[at:]


def _module_scope(body):
    """(the body without its module-scope variable declarations, those declarations), or None
    when something else stands at module scope (a `.func`, an `.extern`, an initialized or
    multi-line declaration): only entries and one-line `.shared`/`.global`/`.const` arrays."""
    depth, kept, declared = 0, [], []
    for line in body.split("\n"):
        if depth == 0 and line.startswith(".") and not _PTX_ENTRY.match(line):
            if not _PTX_VARIABLE.match(line):
                return None
            declared.append(line)
            continue
        depth += line.count("{") - line.count("}")
        kept.append(line)
    return ("\n".join(kept), declared) if depth == 0 else None


def join_ptx(ptxs):
    """One PTX text of the parts' PTX texts, or None (see the module docstring)."""
    header, bodies, declared, names = None, [], [], {}
    for ptx in ptxs:
        head, body = _header_and_body(ptx)
        if head is None or (header is not None and head != header):
            return None
        scope = _module_scope(body)
        if scope is None:
            return None
        header = head
        bodies.append(scope[0])
        for line in scope[1]:
            name = _PTX_VARIABLE.match(line).group(1)
            if names.setdefault(name, line) != line:
                return None     # one name, two declarations
            if line not in declared:
                declared.append(line)
    top = "".join(f"{line}\n" for line in declared)
    return header + ("\n" + top if top else "") + "".join(bodies)
