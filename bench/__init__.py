"""`make bench`: wrk-driven benchmarks of both services on 127.0.0.1 (see run.py)."""
