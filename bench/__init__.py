"""Benchmark harness: `python -m bench` measures the bridge against a raw-ASGI baseline
doing the same cryptography and Redis work, on this machine, in one run."""
