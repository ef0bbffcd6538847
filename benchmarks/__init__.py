"""Performance measurements of the book's analyses (``make benchmarks``).

Each ``bench_*.py`` module exposes ``run() -> dict[str, float]`` (seconds or other figures
with the unit in the key). Measured here, reported in issue notes and in the
reproducibility appendix; never asserted by timed tests.
"""
