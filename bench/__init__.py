"""Throughput benchmarks for tnn kernels: python -m bench --help."""
