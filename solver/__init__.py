"""The optimizer: eligibility, CP-SAT model, greedy baseline, checker, CLI."""
