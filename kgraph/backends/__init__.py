"""Backends: run a graph or a compiled program (the interpreter is the oracle)."""
