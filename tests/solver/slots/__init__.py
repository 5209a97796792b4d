"""Tests of `medspa slots`: one phone call against a schedule (solver/slots)."""
