"""The same-day re-solver: events (cancellations, no-shows, a provider out, running late, a
room or machine down, new requests, reschedules) applied at "now", the state scenario of the
day after them, one solve of it that moves as little as possible and fills freed time in the
waitlist order, and the change list.

The state scenario and the new schedule pass the independent checker together, and they are
the input of the next event.
"""

from solver.replan.events import EventError
from solver.replan.reshuffle import ReshuffleResult, replay, reshuffle
from solver.replan.waitlist import waitlist_order

__all__ = ["EventError", "ReshuffleResult", "replay", "reshuffle", "waitlist_order"]
