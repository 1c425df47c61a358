"""The graph optimizer: one pass a module, run in the order of pipeline.PIPELINE.

    verify -> constant_fold -> simplify -> cse -> licm -> dce
           -> matmul_fusion -> elementwise_fusion -> reduction_fusion -> buffer_plan

Each pass module has `NAME`, `SUMMARY` (one line for explain()), a docstring saying why the pass
exists and what it may and may not change, and `run(graph) -> Graph`, which never changes its
input. `pipeline.run_pipeline` runs them (verifying after each); `ConcreteFunction.optimized_graph`
and `.explain()` are the user's view. Shared helpers: rewrite.py (uses, replacing values),
fusion_build.py (making fusion nodes), algebra_rules.py (the simplifier's rule table), stats.py
(node counts), explain.py (the handout text).
"""
