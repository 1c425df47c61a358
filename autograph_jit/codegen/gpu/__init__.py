"""The GPU backend: the optimized graph's kernels compiled to NVPTX (LLVM IR and PTX through
llvmlite's NVPTX target) and run through the device interface of runtime/gpu (the CUDA driver,
or the host grid emulator).

Modules: target.py (toolkit, NVPTX codegen, ptxas), allowlist.py (functions a kernel may call),
kernel.py (the kernel adapter and thread-level blocks), mathlib.py (vecmath + libdevice), the
kernel emitters k_map.py, k_reduce.py, k_matmul.py, k_rows.py, k_array.py, k_scan.py,
control.py (cond/while, variables), placement.py (variables in place), lower.py + dispatch.py (graph -> Plan), plan.py (running a Plan), function.py
(GpuFunction: one Plan per input shapes), backend.py (what ConcreteFunction calls).
"""
