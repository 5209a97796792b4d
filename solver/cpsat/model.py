"""The CP-SAT model: variables, one method per family of hard rules, and the objective.

Time runs in slots (clinic minutes / slot_minutes). Each job has one start shared by an
optional candidate per eligible (provider, day); providers are busy only during hands-on
parts, rooms of one type and machines are capacity pools, patients are in one place at a
time. `ScheduleModel.placements()` reads a solution back as solver-neutral placements.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from models.scenario import PENALTY_NAMES
from models.times import MINUTES_PER_DAY
from solver.cpsat.relaxation import CapacityRow
from solver.eligibility import Candidate, Job
from solver.facts import ClinicFacts, Outage
from solver.interrupt import Stop
from solver.placement import Placement, Placements
from solver.scoring import BOOKED_TERM

LinearExpr = cp_model.LinearExpr


@dataclass
class JobVars:
    """The decision variables of one job."""

    booked: cp_model.IntVar
    start: cp_model.IntVar
    chosen: list[cp_model.IntVar]
    room_types: dict[str, cp_model.IntVar]
    stay: cp_model.IntervalVar
    rooms: dict[str, cp_model.IntVar] = field(default_factory=dict)


def _total(terms: Iterable[cp_model.LinearExprT]) -> LinearExpr:
    return cp_model.LinearExpr.sum(list(terms))


def _domain(ranges: Sequence[tuple[int, int]]) -> cp_model.Domain:
    return cp_model.Domain.from_intervals(ranges)


class ScheduleModel:
    """Builds the CP-SAT model of a scenario's eligible jobs."""

    def __init__(
        self,
        facts: ClinicFacts,
        jobs: list[Job],
        capacity_rows: list[CapacityRow],
        max_moves: int | None = None,
    ) -> None:
        self.facts = facts
        self.scenario = facts.scenario
        self.jobs = jobs
        self.max_moves = max_moves
        self._by_provider_day: dict[tuple[str, int], list[tuple[Job, cp_model.IntVar]]] = (
            defaultdict(list)
        )
        self.grid = facts.grid
        self.model = cp_model.CpModel()
        self.vars: dict[str, JobVars] = {}
        self.terms: dict[str, cp_model.LinearExprT] = {}
        self.families: dict[str, range] = {}
        """The proto constraint indices of each family of hard rules (see `disagreement`)."""
        for job in jobs:
            self.vars[job.id] = self._job_variables(job)
        self.families["one provider, day, start and room each"] = range(
            len(self.model.proto.constraints)
        )
        self._family("provider one thing at a time", self._provider_no_overlap)
        self._family("room capacity", self._room_capacity)
        self._family("machine capacity", self._equipment_capacity)
        self._family("patient one place at a time", self._patient_no_overlap)
        self._family("visit back to back", self._visits_back_to_back)
        self._family("series spacing", self._series_spacing)
        self._family("consult first", self._consult_first)
        self._family("capacity rows", lambda: self._redundant_capacity(capacity_rows))
        self._family("soft rules and the move cap", self._objective)

    def _family(self, name: str, add: Callable[[], None]) -> None:
        """Add one family of constraints and remember which proto constraints it added."""
        first = len(self.model.proto.constraints)
        add()
        self.families[name] = range(first, len(self.model.proto.constraints))

    def _slots(self, minutes: int) -> int:
        return minutes // self.grid

    def _slot_ranges(self, candidate: Candidate) -> list[tuple[int, int]]:
        return [(self._slots(low), self._slots(high)) for low, high in candidate.starts]

    def _job_variables(self, job: Job) -> JobVars:
        """Booked flag, start, one choice per candidate, room type, and the stay interval."""
        model, service = self.model, job.service
        ranges = [self._slot_ranges(c) for c in job.candidates]
        start = model.new_int_var_from_domain(
            _domain(sorted(r for rs in ranges for r in rs)), f"start_{job.id}"
        )
        booked = (
            model.new_constant(1)
            if job.booking is not None
            else model.new_bool_var(f"booked_{job.id}")
        )
        chosen = []
        for index, candidate_ranges in enumerate(ranges):
            choice = model.new_bool_var(f"choose_{job.id}_{index}")
            model.add_linear_expression_in_domain(start, _domain(candidate_ranges)).only_enforce_if(
                choice
            )
            chosen.append(choice)
        if job.booking is None:
            model.add_exactly_one([*chosen, booked.negated()])
        else:
            model.add_exactly_one(chosen)
        length = self._slots(service.length)
        stay = model.new_optional_fixed_size_interval_var(start, length, booked, f"stay_{job.id}")
        types = job.room_types
        room_types = {t: model.new_bool_var(f"room_{job.id}_{t}") for t in types}
        model.add(_total(room_types.values()) == booked)
        rooms: dict[str, cp_model.IntVar] = {}
        for room_type in self.facts.exact_types.intersection(types):
            flags = {
                r: model.new_bool_var(f"in_{job.id}_{r}")
                for r in self.facts.rooms_of_type[room_type]
            }
            model.add(_total(flags.values()) == room_types[room_type])
            rooms |= flags
        return JobVars(booked, start, chosen, room_types, stay, rooms)

    def _hands_on(self, job: Job) -> list[tuple[LinearExpr, int, LinearExpr]]:
        """A job's hands-on parts as (start, slots, end); the same for every candidate."""
        service, start = job.service, self.vars[job.id].start
        slots = self._slots(service.duration)
        parts: list[tuple[LinearExpr, int, LinearExpr]] = [(start, slots, start + slots)]
        if service.finish:
            finish_start = start + self._slots(service.duration + service.processing)
            slots = self._slots(service.finish)
            parts.append((finish_start, slots, finish_start + slots))
        return parts

    def _provider_no_overlap(self) -> None:
        """A provider does one hands-on thing at a time (processing frees them)."""
        by_provider: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        new_interval = self.model.new_optional_interval_var
        for job in self.jobs:
            parts = self._hands_on(job)
            for candidate, choice in zip(job.candidates, self.vars[job.id].chosen, strict=True):
                intervals = by_provider[candidate.provider_id]
                intervals += [new_interval(s, n, e, choice, "") for s, n, e in parts]
        for intervals in by_provider.values():
            if len(intervals) > 1:
                self.model.add_no_overlap(intervals)

    def _room_capacity(self) -> None:
        """Rooms of one type hold at most as many stays (with turnover) as there are rooms;
        a room out of service holds nothing then."""
        by_type: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        by_room: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        for job in self.jobs:
            job_vars = self.vars[job.id]
            held = self._slots(job.service.length + job.service.buffer_after)
            for room_type, flag in job_vars.room_types.items():
                if room_type not in self.facts.exact_types:
                    by_type[room_type].append(self._held(job_vars.start, held, flag))
            for room_id, flag in job_vars.rooms.items():
                by_room[room_id].append(self._held(job_vars.start, held, flag))
        for outage in self.facts.outages:
            if outage.kind == "room":
                by_room[outage.id].append(self._outage_interval(outage))
        for room_type, intervals in by_type.items():
            self._capacity(intervals, [1] * len(intervals), self.facts.room_count(room_type))
        for intervals in by_room.values():
            self._capacity(intervals, [1] * len(intervals), 1)

    def _held(
        self, start: cp_model.IntVar, slots: int, presence: cp_model.IntVar
    ) -> cp_model.IntervalVar:
        return self.model.new_optional_fixed_size_interval_var(start, slots, presence, "")

    def _outage_interval(self, outage: Outage) -> cp_model.IntervalVar:
        start, end = self._slots(outage.start), -(-outage.end // self.grid)
        return self.model.new_fixed_size_interval_var(start, end - start, f"outage_{outage.id}")

    def _equipment_capacity(self) -> None:
        """Machines in use never exceed the working count."""
        counts = self.facts.machine_counts
        usage: dict[str, tuple[list[cp_model.IntervalVar], list[int]]] = defaultdict(
            lambda: ([], [])
        )
        for job in self.jobs:
            for machine, units in job.service.equipment.items():
                usage[machine][0].append(self.vars[job.id].stay)
                usage[machine][1].append(units)
        for outage in self.facts.outages:
            if outage.kind == "machine":
                usage[outage.id][0].append(self._outage_interval(outage))
                usage[outage.id][1].append(outage.units)
        for machine, (intervals, demands) in usage.items():
            self._capacity(intervals, demands, counts[machine])

    def _capacity(
        self, intervals: list[cp_model.IntervalVar], demands: list[int], capacity: int
    ) -> None:
        if sum(demands) <= capacity:
            return
        if capacity == 1:
            self.model.add_no_overlap(intervals)
        else:
            self.model.add_cumulative(intervals, demands, capacity)

    def _patient_no_overlap(self) -> None:
        """A patient is in one place at a time."""
        by_patient: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        for job in self.jobs:
            by_patient[job.patient_id].append(self.vars[job.id].stay)
        for stays in by_patient.values():
            if len(stays) > 1:
                self.model.add_no_overlap(stays)

    def _visits_back_to_back(self) -> None:
        """Requests of one visit are all booked or none, in file order, each starting when the
        one before ends or at the latest when that one's room turnover ends."""
        visits: dict[str, list[Job]] = defaultdict(list)
        for job in self.jobs:
            if job.request is not None and job.request.visit:
                visits[job.request.visit].append(job)
        for parts in visits.values():
            for previous, following in itertools.pairwise(parts):
                before, after = self.vars[previous.id], self.vars[following.id]
                self.model.add(before.booked == after.booked)
                gap = self._slots(previous.service.length)
                wait = self._slots(previous.service.buffer_after)
                self.model.add_linear_constraint(
                    after.start - before.start, gap, gap + wait
                ).only_enforce_if(before.booked)

    def _day(self, job: Job) -> LinearExpr:
        job_vars = self.vars[job.id]
        return _total(c.day * x for c, x in zip(job.candidates, job_vars.chosen, strict=True))

    def _series_spacing(self) -> None:
        """Two appointments of a series service for one patient are min_days_between apart."""
        series: dict[tuple[str, str], list[Job]] = defaultdict(list)
        for job in self.jobs:
            if job.service.min_days_between:
                series[job.patient_id, job.service.id].append(job)
        for jobs in series.values():
            spacing = jobs[0].service.min_days_between or 0
            for index, first in enumerate(jobs):
                for second in jobs[index + 1 :]:
                    both = [self.vars[first.id].booked, self.vars[second.id].booked]
                    order = self.model.new_bool_var("")
                    gap = self._day(second) - self._day(first)
                    self.model.add(gap >= spacing).only_enforce_if([order, *both])
                    self.model.add(-gap >= spacing).only_enforce_if([order.negated(), *both])

    def _consult_first(self) -> None:
        """A treatment needing a consult on a day without a valid one on file follows a booked
        consult that qualifies it."""
        consults: dict[str, list[Job]] = defaultdict(list)
        for job in self.jobs:
            if job.service.category == "consult":
                consults[job.patient_id].append(job)
        for job in self.jobs:
            if not job.needs_consult_days:
                continue
            job_vars = self.vars[job.id]
            needs = [
                x
                for c, x in zip(job.candidates, job_vars.chosen, strict=True)
                if c.day in job.needs_consult_days
            ]
            earlier = []
            qualifying = self.facts.qualifying_consults(job.service)
            for consult in consults[job.patient_id]:
                if consult.service.id not in qualifying:
                    continue
                before = self.model.new_bool_var("")
                consult_vars = self.vars[consult.id]
                self.model.add_implication(before, consult_vars.booked)
                consult_end = consult_vars.start + self._slots(consult.service.length)
                self.model.add(consult_end <= job_vars.start).only_enforce_if(before)
                earlier.append(before)
            for need in needs:
                if earlier:
                    self.model.add_bool_or(earlier).only_enforce_if(need)
                else:
                    self.model.add(need == 0)

    def _redundant_capacity(self, rows: list[CapacityRow]) -> None:
        """Redundant: provider-day, room and machine minutes fit (solver.cpsat.relaxation); a
        tighter bound."""
        for row in rows:
            chosen = [self.vars[job_id].chosen[index] for _, job_id, index in row.terms]
            minutes = [minutes for minutes, _, _ in row.terms]
            self.model.add(LinearExpr.weighted_sum(chosen, minutes) <= row.capacity)

    def _objective(self) -> None:
        """Maximize priority-weighted booked minutes minus the soft-rule penalties."""
        penalties = self.scenario.policies.penalties
        self.terms[BOOKED_TERM] = _total(
            job.weight * job.service.length * self.vars[job.id].booked
            for job in self.jobs
            if job.request
        )
        counts = self.penalty_counts()
        assert set(counts) == set(PENALTY_NAMES), "every soft rule has its count in the model"
        for name, count in counts.items():
            weight = getattr(penalties, name)
            # idle slots take many constraints: left out when they weigh nothing
            self.terms[name] = weight * (
                _total([]) if name == "idle_slot" and not weight else count()
            )
        losses = _total(value for name, value in self.terms.items() if name != BOOKED_TERM)
        self.model.maximize(_total([self.terms[BOOKED_TERM]]) - losses)

    def penalty_counts(self) -> dict[str, Callable[[], LinearExpr]]:
        """How each soft rule is counted in the model, in the order the terms are built."""
        return {
            "preferred_provider": self._preferred_provider_misses,
            "preferred_time": self._preferred_time_misses,
            "non_preferred_service": self._non_preferred_services,
            "moved_booking": self._moved_bookings,
            "over_daily_bookings": self._over_daily_bookings,
            "idle_slot": self._idle_slots,
        }

    def _choices(self, job: Job) -> list[tuple[Candidate, cp_model.IntVar]]:
        return list(zip(job.candidates, self.vars[job.id].chosen, strict=True))

    def _preferred_provider_misses(self) -> LinearExpr:
        return _total(
            x
            for job in self.jobs
            if job.request is not None and job.request.preferred_provider
            for c, x in self._choices(job)
            if c.provider_id != job.request.preferred_provider
        )

    def _preferred_time_misses(self) -> LinearExpr:
        misses = []
        for job in self.jobs:
            if job.request is None or not job.request.preferred_ranges:
                continue
            days = sorted({c.day for c in job.candidates})
            liked = [
                (
                    self._slots(day * MINUTES_PER_DAY + r.start + self.grid - 1),
                    self._slots(day * MINUTES_PER_DAY + r.end - 1),
                )
                for day in days
                for r in job.request.preferred_ranges
            ]
            liked_domain = _domain(sorted((low, high) for low, high in liked if low <= high))
            job_vars = self.vars[job.id]
            hit = self.model.new_bool_var(f"liked_time_{job.id}")
            self.model.add_implication(hit, job_vars.booked)
            self.model.add_linear_expression_in_domain(
                job_vars.start, liked_domain
            ).only_enforce_if(hit)
            self.model.add_linear_expression_in_domain(
                job_vars.start, liked_domain.complement()
            ).only_enforce_if([job_vars.booked, hit.negated()])
            misses.append(job_vars.booked - hit)
        return _total(misses)

    def _non_preferred_services(self) -> LinearExpr:
        favourites = {p.id: p.preferences.preferred_services for p in self.scenario.providers}
        return _total(
            x
            for job in self.jobs
            if job.request is not None
            for c, x in self._choices(job)
            if favourites[c.provider_id] and job.service.id not in favourites[c.provider_id]
        )

    def _moved_bookings(self) -> LinearExpr:
        moved_flags = []
        for job in self.jobs:
            if job.booking is None or job.locked or job.original_start is None:
                continue
            moved = self.model.new_bool_var(f"moved_{job.id}")
            original = self._slots(job.original_start)
            start = self.vars[job.id].start
            self.model.add(start == original).only_enforce_if(moved.negated())
            self.model.add(start != original).only_enforce_if(moved)
            moved_flags.append(moved)
        if self.max_moves is not None and len(moved_flags) > self.max_moves:
            self.model.add(_total(moved_flags) <= self.max_moves)
        return _total(moved_flags)

    def _provider_days(self) -> dict[tuple[str, int], list[tuple[Job, cp_model.IntVar]]]:
        """Each provider-day's candidate jobs and their choice variables (built once)."""
        if not self._by_provider_day:
            for job in self.jobs:
                for c, x in self._choices(job):
                    self._by_provider_day[c.provider_id, c.day].append((job, x))
        return self._by_provider_day

    def _over_daily_bookings(self) -> LinearExpr:
        excesses = []
        for (provider_id, _), entries in self._provider_days().items():
            cap = self.scenario.provider(provider_id).preferences.max_bookings_per_day
            if cap is None or len(entries) <= cap:
                continue
            excess = self.model.new_int_var(0, len(entries), "")
            self.model.add_max_equality(excess, [0, _total(x for _, x in entries) - cap])
            excesses.append(excess)
        return _total(excesses)

    def _idle_slots(self) -> LinearExpr:
        """Slots between a provider's first and last hands-on minute of a day not spent hands-on."""
        idles = []
        horizon = self._slots(self.scenario.clinic.horizon.days * MINUTES_PER_DAY) + 1
        spans = {  # start, end of the last hands-on part from the start, hands-on slots
            job.id: (
                self.vars[job.id].start,
                self._slots(job.service.length if job.service.finish else job.service.duration),
                self._slots(job.service.hands_on_minutes),
            )
            for job in self.jobs
        }
        weighted_sum = cp_model.LinearExpr.weighted_sum
        for entries in self._provider_days().values():
            firsts, lasts, chosen, hands_on = [], [], [], []
            for job, x in entries:
                start, last_end, slots = spans[job.id]
                # start if chosen, else past the horizon (first) / before it (last)
                firsts.append(weighted_sum([start, x, 1], [1, -horizon, horizon]))
                lasts.append(weighted_sum([start, x, 1], [1, horizon, last_end - horizon]))
                chosen.append(x)
                hands_on.append(slots)
            first = self.model.new_int_var(-horizon, 2 * horizon, "")
            last = self.model.new_int_var(-2 * horizon, 2 * horizon, "")
            self.model.add_min_equality(first, firsts)
            self.model.add_max_equality(last, lasts)
            idle = self.model.new_int_var(0, horizon, "")
            busy = weighted_sum(chosen, hands_on)
            self.model.add_max_equality(idle, [0, last - first - busy])
            idles.append(idle)
        return _total(idles)

    def fixed(self, values: dict[int, int], hint: list[int] | None = None) -> cp_model.CpModel:
        """A copy of the model with some variables (by proto index) fixed, optionally hinted
        with a full solution."""
        piece = self.model.clone()
        piece.clear_hints()
        variables = piece.proto.variables
        for index, value in values.items():
            domain = variables[index].domain
            domain.clear()
            domain.extend([value, value])
        if hint is not None:
            piece.proto.solution_hint.vars.extend(range(len(hint)))
            piece.proto.solution_hint.values.extend(hint)
        return piece

    def disagreement(self, decisions: dict[int, int], stop: Stop | None = None) -> str:
        """The first family of hard rules that these fixed decisions break on its own, or
        "several rules together" when each family alone accepts them."""
        stop = stop or Stop()
        for name, indices in self.families.items():
            piece = self.fixed(decisions)
            for index, constraint in enumerate(piece.proto.constraints):
                if index not in indices and not constraint.has_interval():
                    constraint.copy_from(cp_model_helper.ConstraintProto())  # left out
            solver = cp_model.CpSolver()
            solver.parameters.num_workers = 1
            solver.parameters.max_time_in_seconds = 10.0
            solver.parameters.stop_after_first_solution = True
            if stop.solve(solver, piece) == cp_model.INFEASIBLE:
                return name
        return "several rules together"

    def decisions(self, placements: Placements) -> dict[int, int]:
        """Values of the decision variables (by proto index) that describe these placements.

        The start of an unbooked job is left out: any value in its domain will do.
        """
        values: dict[int, int] = {}
        for job in self.jobs:
            job_vars = self.vars[job.id]
            placement = placements.get(job.id)
            values[job_vars.booked.index] = int(placement is not None)
            day = placement.start // MINUTES_PER_DAY if placement else -1
            for candidate, choice in self._choices(job):
                chosen = placement is not None and candidate.provider_id == placement.provider_id
                values[choice.index] = int(chosen and candidate.day == day)
            for room_type, flag in job_vars.room_types.items():
                values[flag.index] = int(placement is not None and room_type == placement.room_type)
            for room_id, flag in job_vars.rooms.items():
                values[flag.index] = int(placement is not None and room_id == placement.room_id)
            if placement is not None:
                values[job_vars.start.index] = self._slots(placement.start)
        return values

    def decision_indices(self, job: Job) -> list[int]:
        """Proto indices of a job's decisions: booked, start, candidates, room types, rooms."""
        job_vars = self.vars[job.id]
        decisions = [job_vars.booked, job_vars.start, *job_vars.chosen]
        decisions += [*job_vars.room_types.values(), *job_vars.rooms.values()]
        return [var.index for var in decisions]

    def placements(self, values: Sequence[int]) -> Placements:
        """The booked jobs of a solution, given as the value of every model variable."""
        result: Placements = {}
        for job in self.jobs:
            job_vars = self.vars[job.id]
            if not values[job_vars.booked.index]:
                continue
            candidate = next(c for c, x in self._choices(job) if values[x.index])
            room_type = next(t for t, flag in job_vars.room_types.items() if values[flag.index])
            start = values[job_vars.start.index] * self.grid
            room_id = next((r for r, flag in job_vars.rooms.items() if values[flag.index]), None)
            result[job.id] = Placement(candidate.provider_id, start, room_type, room_id)
        return result
