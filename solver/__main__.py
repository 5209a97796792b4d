"""`python -m solver` runs the medspa command line."""

from solver.console import main

main()
