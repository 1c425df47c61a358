"""autograph_jit.runtime — the execution layer: NumPy kernels that need more than one NumPy call,
the counter-based RNG, value formatting for tf.print, the graph interpreter and native engines.

A leaf package: it imports NumPy (and llvmlite / ctypes in its engines), never the compiler.
"""
