"""A CPU module cut into parts along its kernels, so LLVM compiles the parts on several threads
(runtime/llvm_pool.py, cpu_engine.compile_ir) and MCJIT links their objects into one engine.

The Lowerer's module is an entry function (`agj_entry`) that calls one internal function per
kernel (`k_*`, the Lowerer's `call_kernel`; other functions the entry calls, such as a
TensorArray's `agj_ta_reserve`, are the entry's helpers); a kernel reaches only its own helpers
(its parallel-for chunk, the always-inlined vector math), constant globals and declarations. So:

- part 0 holds the entry, what it reaches, and a `declare` of every kernel;
- each other part holds a run of kernels in module order (the order the Lowerer made them and
  first called them, not the entry's block order, which a loop reorders), made external (so the
  entry's object finds them in the engine's own symbol table first), the helpers they reach
  (internal copies in every part that uses one: the vector math's `linkonce_odr` becomes
  `internal`, so no two objects of an engine define one symbol), the constant globals,
  declarations and metadata they reach, and the module's target lines.

The runs are cut as the kernels come (`RunCutter`): a run closes once its IR reaches RUN_BYTES
(a limit that doubles after every four runs, so a big module still makes few parts), and the
kernels left after MAX_PARTS - 2 closed runs form the last one. A part's text depends only on
its own kernels and what they reach, never on what follows them in the module, so the Lowerer
can cut the same parts while it still lowers and start compiling each one as soon as it closes
(early_parts.py). The cut is the same on every machine, so a module's parts — and their object
code, and the disk cache's keys — never depend on the host's threads.

What differs from compiling the module whole: LLVM no longer inlines the kernels into the entry,
so each kernel is optimized on its own, with its `noalias` parameters instead of the entry's
offsets (checked on the MLP and CNN training steps: identical losses and weights after an epoch).
Modules the split would not pay for, or that it cannot cut safely, compile whole: under
RUN_BYTES of kernel IR, a mutable global (its state must stay one copy), static constructors, a
kernel reaching another kernel, or a top-level line the cut does not know.

Example:
    parts = split_module(ir_text)    # [entry part, kernel part, ...] or None: compile whole
"""
import re

from ..ir_text import items, names_in

__all__ = ["split_module", "RunCutter", "part_text", "reach", "header_line", "metadata_number",
           "MAX_PARTS", "RUN_BYTES"]

ENTRY = "agj_entry"
KERNEL_PREFIX = "k_"   # (lower.py's fresh_name: every kernel function's name starts with it)
# Parts at most: more would cost memory (each part's O3 run leaves ~70 KB in the process that
# runs it, runtime/llvm_worker.py) and per-part overheads (~3 ms of LLVM each) for little time.
MAX_PARTS = 16
# A run closes at this much kernel IR (~25 ms of -O3 for typical kernels): small enough that the
# first parts of a training step start compiling while the rest is lowered, big enough that the
# per-part overheads stay small. It doubles after every RUNS_PER_SIZE runs.
RUN_BYTES = 8192
RUNS_PER_SIZE = 4
# the module's own lines every part repeats (llvmlite prints them first)
HEADER_PREFIXES = ("; ModuleID", "target triple", "target datalayout", "source_filename")
_CONSTANT = re.compile(r"^@(\"[^\"]+\"|[-\w.$]+)\s*=\s*(?:\w+\s+)*constant\b")
_PARAM_NAME = re.compile(r'\s+%("[^"]*"|[-\w.$]+)(?=[,)])')
_METADATA = re.compile(r"^!(\d+)\s*=")
# an identified struct type of llvmlite's context (printed before the globals of every module)
_TYPE_DEFINITION = re.compile(r'^%("[^"]+"|[-\w.$]+)\s*=\s*type\b')
_METADATA_REF = re.compile(r"!(\d+)\b")


class RunCutter:
    """Kernels into runs in the order they come: `add(name, size)` returns the run it closed, or
    None; `rest()` the last run (the kernels not in a closed run), or None. A run closes when
    its size reaches `run_bytes` << (closed runs // RUNS_PER_SIZE), until `most - 2` runs closed
    (then the rest is one run). Both `split_module` and the Lowerer's early parts cut with it, so
    a run closes at the same kernel in both.

    Example:
        cut = RunCutter()
        runs = [r for name, size in kernels if (r := cut.add(name, size))] + [cut.rest()]
    """

    def __init__(self, most=None, run_bytes=None):
        self.most = MAX_PARTS if most is None else most
        self.run_bytes = RUN_BYTES if run_bytes is None else run_bytes
        self.closed = 0
        self._run, self._size = [], 0

    @property
    def done(self):
        """Whether no further run can close before the end (the rest is the last run)."""
        return self.closed >= self.most - 2

    def add(self, name, size):
        self._run.append(name)
        self._size += size
        limit = self.run_bytes << (self.closed // RUNS_PER_SIZE)
        if self.done or self._size < limit:
            return None
        run, self._run, self._size = self._run, [], 0
        self.closed += 1
        return run

    def rest(self):
        return self._run or None


def header_line(text):
    """Whether a top-level line is one every part repeats: the module's target lines and the
    identified struct types llvmlite prints before the globals."""
    return text.startswith(HEADER_PREFIXES) or bool(_TYPE_DEFINITION.match(text))


def metadata_number(line):
    """The number of a `!N = ...` metadata line, or None."""
    m = _METADATA.match(line)
    return int(m.group(1)) if m else None


def _declaration(define_text):
    """`declare` for a `define internal ...` text: its header, without linkage, names or body."""
    header = define_text.split("\n", 1)[0].rstrip().rstrip("{").rstrip()
    header = re.sub(r"^define\s+(?:internal\s+|private\s+)?", "declare ", header)
    return _PARAM_NAME.sub("", header)


def reach(roots, lookup, stop):
    """The names reached from the texts `roots`: through helper bodies (defined functions not in
    `stop`) and global initializers. `lookup(name)` gives (kind, text) or None for a name the
    module does not have."""
    reached, todo = set(), list(roots)
    while todo:
        for name in names_in(todo.pop()):
            if name in reached:
                continue
            reached.add(name)
            found = lookup(name)
            if found is None:
                continue
            kind, text = found
            if kind == "global" or (kind == "define" and name not in stop):
                todo.append(text)
    return reached


def part_text(header, sequence, metadata, own, reached, declared=frozenset(),
              exported=frozenset()):
    """One part's text: the `header` lines, then from `sequence` ((kind, name, text) in module
    order; kind "metadata" with the number as name) the `own` definitions (the `exported` ones
    made external), the helpers, globals and declarations in `reached`, `declare`s of the
    `declared` kernels defined in other parts, and the metadata all of those refer to (through
    `metadata`: number -> line)."""
    chosen = {}
    for k, (kind, name, text) in enumerate(sequence):
        if kind == "define":
            if name in own or (name in reached and name not in declared):
                if name in exported:
                    text = "define " + text[len("define internal "):]
                elif text.startswith("define linkonce_odr "):   # one copy per part: private
                    text = "define internal " + text[len("define linkonce_odr "):]
                chosen[k] = text
            elif name in declared:
                chosen[k] = _declaration(text)
        elif kind in ("declare", "global") and name in reached:
            chosen[k] = text
    wanted, todo = set(), list(chosen.values())
    while todo:
        for number in map(int, _METADATA_REF.findall(todo.pop())):
            if number not in wanted and number in metadata:
                wanted.add(number)
                todo.append(metadata[number])
    lines = list(header)
    for k, (kind, name, text) in enumerate(sequence):
        if k in chosen:
            lines.append(chosen[k])
        elif kind == "metadata" and name in wanted:
            lines.append(text)
    return "\n".join(lines)


def split_module(ir_text, most=None, run_bytes=None):
    """[module texts]: the entry part, then runs of kernels; or None (see the module docstring).

    Args:
      ir_text: the Lowerer's module (codegen/llvm/lower.py).
      most: parts at most, entry part included (default MAX_PARTS); fewer than 2: None.
      run_bytes: the kernel IR that closes a run (default RUN_BYTES; 0: every kernel is a run);
        a module whose first run does not close compiles whole.
    """
    most = MAX_PARTS if most is None else most
    if most < 2 or "@llvm.global_ctors" in ir_text:
        return None
    found = items(ir_text)
    if found is None:
        return None
    header, sequence, metadata = [], [], {}
    for kind, name, text in found:
        if kind != "other":
            sequence.append((kind, name, text))
        elif header_line(text):
            header.append(text)
        elif (number := metadata_number(text)) is not None:
            metadata[number] = text
            sequence.append(("metadata", number, text))
        elif text.strip() and not text.startswith(";"):
            return None   # (attribute groups, named metadata: lines a part cannot choose)
    defines = {name: text for kind, name, text in sequence if kind == "define"}
    globals_ = {name: text for kind, name, text in sequence if kind == "global"}
    if ENTRY not in defines or any(not _CONSTANT.match(text) for text in globals_.values()):
        return None
    called = set(names_in(defines[ENTRY]))
    kernels = [name for name in defines   # (in the order they were made: the order the
               if name in called and name.startswith(KERNEL_PREFIX)   # Lowerer called them)
               and defines[name].startswith("define internal ")]
    kernel_set = set(kernels)
    helpers = set(defines) - kernel_set - {ENTRY}

    def lookup(name):
        if name in defines:
            return "define", defines[name]
        return ("global", globals_[name]) if name in globals_ else None
    reach_of = {k: reach([defines[k]], lookup, kernel_set) for k in kernels}
    if any(reach_of[k] & (kernel_set - {k}) for k in kernels):
        return None   # a kernel calls (or takes the address of) another: compile whole
    cut = RunCutter(most, run_bytes)
    runs = []
    for k in kernels:
        run = cut.add(k, len(defines[k]) + sum(len(defines[h]) for h in reach_of[k] & helpers))
        if run:
            runs.append(run)
    if not runs:
        return None   # under one run of kernel IR: compiled whole in a few ms
    if cut.rest():
        runs.append(cut.rest())
    entry_reach = reach([defines[ENTRY]], lookup, kernel_set)
    parts = [part_text(header, sequence, metadata, {ENTRY}, entry_reach, declared=kernel_set)]
    for run in runs:
        reached = set().union(*(reach_of[k] for k in run))
        parts.append(part_text(header, sequence, metadata, set(run), reached,
                               exported=set(run)))
    return parts
