"""The stages of a ConcreteFunction as objects with text, in the order the compiler makes them.

    cf = f.get_concrete_function(x)
    for stage in cf.stages():
        print(stage.name, len(stage.as_text()))
    print(cf.lower().as_text())             # LLVM IR, each kernel annotated with its source line
    print(cf.lower().compile().as_text())   # host assembly

JAX's `jit(f).lower(x).compile()` is the model (Traced -> Lowered -> Compiled, each with
`as_text()`); the names TF and this project already had stay and mean the same:
`cf.graph` is the traced stage, `cf.optimized_graph` the optimized one, `cf.llvm_ir()` the lowered
text, `cf.llvm_ir(optimized=True)` and `cf.asm()` the compiled texts, `cf.explain()` all of them
with their times. A stage's text is produced on first request and kept by the ConcreteFunction
(the optimized graph) or its executable (IR and assembly).
"""

__all__ = ["Stage", "Traced", "Optimized", "Lowered", "Compiled", "stages_of"]


class Stage:
    """One stage of one ConcreteFunction: `name`, `as_text()`; prints as its text."""

    name = "stage"

    def __init__(self, concrete_function):
        self._cf = concrete_function

    def __str__(self):
        return self.as_text()

    def __repr__(self):
        return f"<{type(self).__name__} stage of {self._cf.name}>"


class Traced(Stage):
    """The graph as traced (`cf.graph`): one node a line, with the user's file:line."""

    name = "graph"

    @property
    def graph(self):
        return self._cf.graph

    def as_text(self):
        return str(self._cf.graph)


class Optimized(Stage):
    """The graph after the optimizer's passes (`cf.optimized_graph`)."""

    name = "optimized_graph"

    @property
    def graph(self):
        return self._cf.optimized_graph

    def as_text(self):
        return str(self._cf.optimized_graph)


class Lowered(Stage):
    """The LLVM IR of the native code before LLVM's optimizer (`cf.llvm_ir()`), each kernel
    annotated with the user's source line; `compile()` gives the next stage."""

    name = "llvm_ir"

    def as_text(self):
        return self._cf.llvm_ir()

    def compile(self):
        """The Compiled stage: LLVM's O3 pipeline and the host assembly."""
        return Compiled(self._cf)


class Compiled(Stage):
    """The native code: `as_text()` is the host assembly (`cf.asm()`); `llvm_ir()` the IR after
    LLVM's O3 pipeline (`cf.llvm_ir(optimized=True)`)."""

    name = "asm"

    def as_text(self):
        return self._cf.asm()

    def llvm_ir(self):
        return self._cf.llvm_ir(optimized=True)


def stages_of(cf):
    """Every stage `cf`'s backend makes, in order: the graphs, and for the cpu backend the
    lowered and compiled code."""
    stages = [Traced(cf), Optimized(cf)]
    if cf.backend == "cpu":
        lowered = Lowered(cf)
        stages += [lowered, lowered.compile()]
    return tuple(stages)
