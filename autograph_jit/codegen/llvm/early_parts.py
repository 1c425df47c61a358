"""Kernel parts cut while the Lowerer still lowers, so LLVM starts on them early.

A training step's kernels come out of the Lowerer over tens of milliseconds of Python, and LLVM
used to start only once the whole module was printed. `EarlyParts` follows the Lowerer: each
kernel the entry calls for the first time (`kernel_called`) goes into the same RunCutter that
module_split.split_module uses, and each run that closes is printed at once — the run's kernels
and what they reach, from llvmlite's objects, in module order — and handed to `start(text)`,
which begins compiling it on the compile threads (cpu_engine.compile_early). The part texts are
exactly the ones split_module cuts from the finished module, so the compile of the finished
module finds their objects made (or being made) and compiles only the rest: the entry part and
the last run.

Nothing here is trusted: a part whose text the finished module does not reproduce (a kernel
changed after its first call, a module split_module compiles whole) is simply not used, and any
error in here switches the early parts off without touching the lowering. The one thing reused
is the printing: `module_text()` builds the module's text from the functions printed here
(printing again any whose blocks changed since), so the kernels are printed once.

Example:
    lw.early = EarlyParts(lw.module, cpu_engine.compile_early)
"""
from llvmlite import ir

from ..ir_text import items
from . import module_split
from .backend import vecmath_text

__all__ = ["EarlyParts"]


class EarlyParts:
    """Cuts the Lowerer's kernels into module_split's runs as they come, and starts each run's
    part (see the module docstring)."""

    def __init__(self, module, start):
        self.module = module
        self.start = start
        self.cutter = module_split.RunCutter()
        self.kernels = set()     # the kernels the entry called so far
        self.off = False
        self._items = {}         # name -> (kind, text) of finished functions and globals
        self._printed = {}       # name -> (shape, str(function)) of the functions printed
        self._reach_of = {}      # kernel name -> the names it reaches
        self._last_position = -1  # the last kernel's place among the module's globals
        self._vecmath_of = (None, {})
        self._header = None

    def kernel_called(self, fn):
        """The entry calls kernel function `fn` (finished); cut and start a run when one closes."""
        if self.off or fn.name in self.kernels:
            return
        try:
            self._add(fn)
        except Exception:  # noqa: BLE001 - an early part is an optimization, never an error
            self.off = True

    def _add(self, fn):
        if self.module.namedmetadata or self.cutter.done:
            self.off = True       # (split_module compiles such modules whole / cuts no more)
            return
        position = list(self.module.globals).index(fn.name)
        if position < self._last_position:
            self.off = True       # (made before a kernel called earlier: split_module's order
            return                # differs from here on, and later parts would not match)
        self._last_position = position
        self.kernels.add(fn.name)
        reached = module_split.reach([self._item(fn.name)[1]], self._item, self.kernels)
        helpers = [self._item(name) for name in reached - self.kernels]
        size = len(self._item(fn.name)[1]) + sum(
            len(found[1]) for found in helpers if found is not None and found[0] == "define")
        self._reach_of[fn.name] = reached
        run = self.cutter.add(fn.name, size)
        if run is not None:
            self.start(self._part(run))

    def _item(self, name):
        """(kind, text) of a top-level name as split_module reads it from the finished module's
        text (a vector-math function: its pasted definition), or None."""
        found = self._items.get(name)
        if found is not None or name in self._items:
            return found
        vecmath = self._vecmath().get(name)
        if vecmath is not None:
            found = ("define", vecmath[1])
        else:
            gv = self.module.globals.get(name)
            if gv is None:
                found = None
            else:
                printed = str(gv)
                if isinstance(gv, ir.Function) and gv.blocks:
                    self._printed[name] = (_shape(gv), printed)
                parsed = [(kind, text) for kind, _, text in items(printed) if kind != "other"]
                found = parsed[0] if len(parsed) == 1 else None
                if found is None:
                    raise ValueError(f"cannot read {name!r} as one top-level item")
                if found[0] == "global" and isinstance(gv, ir.GlobalVariable) \
                        and not gv.global_constant:
                    raise ValueError(f"{name!r} is a mutable global: the module compiles whole")
        self._items[name] = found
        return found

    def _vecmath(self):
        """name -> (sort key, definition text) of the vector-math functions used so far (pasted
        after the metadata, in sorted order, by backend.finish_ir)."""
        used = frozenset(getattr(self.module, "_agj_vecmath", ()))
        if used != self._vecmath_of[0]:
            out = {}
            for key in sorted(used):
                for kind, name, text in items(vecmath_text((key,))):
                    if kind == "define":
                        out[name] = (key, text)
                    elif kind != "other":
                        raise ValueError(f"vector math for {key} has a {kind}")
            self._vecmath_of = (used, out)
        return self._vecmath_of[1]

    def _part(self, run):
        reached = set().union(*(self._reach_of[k] for k in run))
        wanted = set(run) | reached
        vecmath = self._vecmath()
        position = {name: k for k, name in enumerate(self.module.globals)}
        ordered = sorted((position[name], name) for name in wanted
                         if name in position and name not in vecmath
                         and self._item(name) is not None)
        sequence = [(self._item(name)[0], name, self._item(name)[1]) for _, name in ordered]
        metadata = {}
        for line in map(str, self.module.metadata):
            number = module_split.metadata_number(line)
            if number is None:
                raise ValueError(f"metadata line split_module does not know: {line[:40]!r}")
            metadata[number] = line
            sequence.append(("metadata", number, line))
        sequence += [("define", name, text) for name, (key, text)
                     in sorted(vecmath.items(), key=lambda kv: kv[1][0]) if name in wanted]
        return module_split.part_text(self._module_header(), sequence, metadata, set(run),
                                      reached, exported=set(run))

    def module_text(self):
        """str(module), printing again only what was not printed here (or changed since: a
        function whose blocks or instruction counts differ is printed afresh). The layout is
        llvmlite's Module.__repr__: target lines, identified types, globals, metadata
        (tests/codegen/test_early_parts.py checks that the two agree)."""
        m = self.module
        lines = [f'; ModuleID = "{m.name}"', f'target triple = "{m.triple}"',
                 f'target datalayout = "{m.data_layout}"', ""]
        lines += [t.get_declaration() for t in m.get_identified_types().values()]
        for name, gv in m.globals.items():
            printed = self._printed.get(name)
            lines.append(printed[1] if printed is not None and printed[0] == _shape(gv)
                         else str(gv))
        lines += m._get_metadata_lines()
        return "\n".join(lines)

    def _module_header(self):
        if self._header is None:
            bare = ir.Module(name=self.module.name)
            bare.triple, bare.data_layout = self.module.triple, self.module.data_layout
            self._header = [line for line in str(bare).split("\n")
                            if module_split.header_line(line)]
        return self._header


def _shape(fn):
    """What a later change to a printed function would change: its blocks and their lengths."""
    return tuple((id(block), len(block.instructions)) for block in fn.blocks)
