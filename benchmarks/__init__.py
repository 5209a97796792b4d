"""Benchmarks: the written protocol (PROTOCOL.md), the runner (`python -m benchmarks`) and
its report (CSV, markdown and plots under benchmarks/results/)."""
