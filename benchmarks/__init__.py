"""Benchmarks: scripts that print figures beside their baselines (never timed test asserts).

``python -m benchmarks`` (``make bench``) runs them all; see benchmarks/__main__.py.
"""
