"""`python -m solver` runs the medspa command line."""

from solver.cli import main

main()
