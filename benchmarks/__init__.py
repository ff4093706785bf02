"""Reproducible benchmarks (one script each, run as ``python benchmarks/<name>.py``) and the
harness they share with the tests: ``_devnet`` (anvil with the contracts deployed) and
``_processes`` (real node and CLI processes).

A package, not a folder of scripts, so that the tests can import that harness as
``benchmarks._devnet``: a regular package on the path ahead of site-packages also wins over
the stray top-level ``benchmarks`` package that a dependency (cchecksum) installs.
"""
