"""Speed benchmarks that `make bench` runs: list latency in-process and HTTP throughput over uvicorn.

They report figures (medians, p95, ratios) against targets; they assert nothing.
"""
