"""Everything that speaks OR-Tools: the CP-SAT model of a week, its search, and the LP bound of
its capacity rows. The rest of the solver hands it jobs and reads back placements."""
