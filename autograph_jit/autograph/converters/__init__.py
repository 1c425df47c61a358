"""AST converters, one construct each; their order is `transformer.transform`."""
