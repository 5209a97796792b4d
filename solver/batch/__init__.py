"""The nightly batch: many clinics solved at once, each into its own folder, with a summary
(`medspa batch`, `solve_many`)."""

from solver.batch.pool import ClinicPool
from solver.batch.run import BatchSettings, ClinicOutcome, solve_many

__all__ = ["BatchSettings", "ClinicOutcome", "ClinicPool", "solve_many"]
