"""How large a scenario file, and each thing in it, may be: said once, for the loader, the
JSON Schema and the tests.

Every limit is far beyond what a clinic writes (a busy clinic books a few hundred
appointments a week in a file of a few hundred kB), yet keeps one run bounded in time and
memory, and keeps the optimizer's objective well inside 64-bit integers (see
`tests/models/test_limits.py`, which holds the largest objective the limits allow against
int64).
"""

from __future__ import annotations

from datetime import date

# The file as a whole.
MAX_INPUT_MB = 10
"""Default size limit of an input file (scenario, schedule, events), in MB (10^6 bytes):
a 20,000-request scenario is about 5 MB of YAML and takes some 20 s to read; the global
option `medspa --max-input-mb N` raises it."""
MAX_INPUT_MB_OVERRIDE = 1_000
"""The most `--max-input-mb` may allow: a file of 1,000 MB already takes hours to read."""
MAX_DEPTH = 50
"""Deepest nesting of lists and mappings in a YAML or JSON file; a scenario needs 6."""
MAX_ALIAS_NODES = 1_000_000
"""Values that YAML aliases (`*name`, merge keys `<<: *name`) may add to a file: thousands of
requests sharing a template stay far below, a "billion laughs" file is refused at once."""
MAX_PROBLEMS = 100
"""At most this many problems are listed for one file; a count stands for the rest."""

# Lists, by what they hold.
MAX_REQUESTS = 20_000
"""Requests of one scenario (and bookings): the benchmarks solve 3,000."""
MAX_BOOKINGS = 20_000
MAX_PATIENTS = 100_000
MAX_SERVICES = 1_000
"""Services, providers, rooms and machines (kinds) of one clinic."""
MAX_PROVIDERS = 1_000
MAX_ROOMS = 1_000
MAX_MACHINES = 1_000
MAX_ENTRIES = 1_000
"""Entries of a list inside one item: closed dates, a provider's services and time off, a
patient's history, a service's room types, a room's out-of-service spans, ..."""
MAX_RANGES = 100
"""Time ranges of one day (working hours, a day part), preferred times of a request,
reminders and day-part names."""
MAX_ID_CHARACTERS = 100
"""Length of an id."""

# Numbers.
MAX_SERVICE_MINUTES = 1_440
"""A service's duration, processing, finish and buffer: at most a day each."""
MAX_NOTICE_HOURS = 8_784
"""Deposit deadline, cancellation notice, reminder hours: at most a (leap) year."""
MAX_DAYS_BETWEEN = 36_600
"""Consult validity and series spacing, in days: at most a hundred years."""
MAX_TIER_WEIGHT = 1_000
"""Weight of one booked minute of a tier."""
MAX_PRIORITY = 10_000
"""Weight of one booked minute of a request; at least ten times MAX_TIER_WEIGHT, because a
same-day re-plan gives displaced patients ten times the heaviest tier weight."""
MAX_PENALTY = 1_000_000
"""Weight of one soft-rule penalty, in priority-minutes."""
MAX_UNITS = 1_000
"""Units of a machine, a clinic's or a service's."""
MAX_DAILY_BOOKINGS = 1_440
"""A provider's max_bookings_per_day: one a minute."""
MAX_MONEY = 1_000_000
"""A service's deposit and value."""

# Dates.
FIRST_DATE = date(1900, 1, 1)
"""The earliest date a scenario may hold (a patient's history goes back decades, no more)."""
LAST_DATE = date(2999, 12, 31)
"""The latest date a scenario may hold: far enough for any licence, and far enough from the
calendar's end (9999) that a horizon, an offset or a consult's validity never runs off it."""
