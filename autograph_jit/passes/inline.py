"""Inlining of nested function calls — the identity today, by construction.

A `tf.function` called while another is traced is not recorded as a call node: tracing replays
the callee's concrete graph op by op into the caller's graph (tracing/replay.py), so nested calls
are already inlined when the optimizer first sees the graph, and gradients and every later pass
see through them. No op of the registry is call-like (`cond`/`while_loop` hold regions, but those
are control flow, not calls, and `fusion` bodies are made by the optimizer itself). The pass is
kept in the pipeline so that it is visible where DESIGN.md puts it, and so that a call op, if one
is ever added, has its place; tests/passes/test_inline_verify.py checks that the registry has no call
op and that the pass returns its input unchanged.
"""
NAME = "inline"
SUMMARY = "inline nested function calls (tracing already inlined them: no call nodes exist)"



def inline(graph):
    return graph


run = inline
