"""The front desk's question: where one phone call fits best, as the calendar stands.

`recommend` ranks the options for a request in a schedule (read-only), `why_not` tells why a
given time is not offered, and `take` books an option, writing the new schedule and change
list as a re-plan does.
"""

from solver.slots.call import Call, CallError, Refusal, call_request, open_call
from solver.slots.options import Move, Option, Recommendation, ranked, recommend

__all__ = [
    "Call",
    "CallError",
    "Move",
    "Option",
    "Recommendation",
    "Refusal",
    "call_request",
    "open_call",
    "ranked",
    "recommend",
]
