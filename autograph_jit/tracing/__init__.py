"""Tracing: tf.function, signatures and the cache, ConcreteFunction, the graph builder."""
