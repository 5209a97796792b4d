"""The independent schedule checker: every hard rule re-derived from the scenario alone.

It shares no code with the optimizer (it imports only `models`; a test holds it to that), so
a bug in the model builder cannot hide itself here. `check_schedule` lists every broken rule
as a `Finding` with a stable code (listed in `checker.rules`), the row it concerns and the
fix; `recompute_objective` recomputes the optimizer's objective, term by term, from the
schedule rows.

Times are compared as local wall-clock minutes (``date.toordinal() * 1440 + minute of
day``), the way a clinic writes them; an appointment's end is derived from its start and
the scenario's service length.
"""

from checker.objective import ObjectiveBreakdown, recompute_objective
from checker.rules import check_schedule

__all__ = ["ObjectiveBreakdown", "check_schedule", "recompute_objective"]
