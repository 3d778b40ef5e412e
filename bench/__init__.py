"""Benchmarks (run each as a script; see its docstring)."""
