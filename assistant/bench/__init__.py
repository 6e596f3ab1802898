"""Benchmarks: SciFact retrieval and verification, scale and load."""
