"""The graph IR: types, values, nodes, graphs, printer, DOT, verifier."""
