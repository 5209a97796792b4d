"""The search: the front-desk schedule as a start, a large-neighbourhood search shaped like a
clinic's week, and a run of CP-SAT on the whole model for the proven bound.

Each neighbourhood frees the appointments of a few provider-days, plus the requests that
could go there, and lets CP-SAT re-plan that piece (a small model of its own,
`solver.cpsat.piece`) starting from the current schedule: the freed appointments may move
among the freed provider-days or come off the calendar, nothing else moves. An improvement
is kept; the neighbourhood grows while pieces are solved to optimality and shrinks when they
are not. Schedules travel as placements; only the whole-model run sees every variable.

With two or more workers the whole-model run (for the bound, and any schedule it finds) goes
on in a background thread while the neighbourhood search uses one core. Once the bound has
stopped moving, that run ends and every worker searches neighbourhoods, all improving one
shared schedule. With one worker both run one after the other. Budgets are wall-clock
seconds; a deterministic search (one worker) counts CP-SAT's work units instead, so the same
seed repeats the same schedule exactly on any machine, however long that takes.
"""

from __future__ import annotations

import copy
import dataclasses
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.times import MINUTES_PER_DAY
from solver.cpsat.model import ScheduleModel
from solver.cpsat.params import SearchParams
from solver.cpsat.piece import Pieces, ProviderDay
from solver.interrupt import Stop
from solver.placement import Placements


@dataclass
class Incumbent:
    """A schedule and its objective; `values` holds every whole-model variable's value when
    the whole model produced it (a hint for the whole-model run)."""

    placements: Placements
    objective: int
    values: list[int] | None = None


@dataclass
class SearchOutcome:
    """The best solution found, the proven bound, and whether the best is proven optimal."""

    best: Incumbent
    bound: int
    proven: bool


ImprovementCallback = Callable[[int, int, float], None]
"""Called with (objective, bound, seconds since the search started) on each improvement."""


class Budget:
    """Time left to search: wall-clock seconds, or (deterministic) CP-SAT work units converted
    to the seconds they take on the reference machine."""

    def __init__(self, seconds: float, deterministic: bool, params: SearchParams) -> None:
        self.deterministic = deterministic
        self.seconds = seconds
        self.spent = 0.0
        self.started = time.perf_counter()
        self.seconds_per_unit = params.seconds_per_deterministic_unit

    def elapsed(self) -> float:
        """Wall-clock seconds since the search started."""
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Budget still available."""
        if self.deterministic:
            return self.seconds - self.spent
        return self.seconds - self.elapsed()

    def configure(self, solver: cp_model.CpSolver, seconds: float) -> None:
        """Give a CP-SAT call at most `seconds` of this budget."""
        seconds = max(0.01, min(seconds, self.left()))
        if self.deterministic:
            solver.parameters.max_deterministic_time = seconds / self.seconds_per_unit
        else:
            solver.parameters.max_time_in_seconds = seconds

    def spend(self, solver: cp_model.CpSolver) -> float:
        """Account for a finished CP-SAT call (at least a little, so loops always end); what
        it cost: its wall-clock seconds, or deterministic, its work in reference seconds."""
        work = max(solver.deterministic_time * self.seconds_per_unit, 0.001)
        self.spent += work
        return work if self.deterministic else solver.wall_time


def _solver(num_workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    return solver


def complete(
    built: ScheduleModel, decisions: dict[int, int], stop: Stop | None = None
) -> Incumbent:
    """The full solution of fixed decisions (e.g. the greedy schedule's)."""
    solver = _solver(1, 0)
    status = (stop or Stop()).solve(solver, built.fixed(decisions))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"the starting schedule breaks the model: {solver.status_name(status)}")
    return _whole(built, solver)


def _whole(built: ScheduleModel, solver: cp_model.CpSolver) -> Incumbent:
    """The whole model's solution in `solver`."""
    values = list(solver.response_proto.solution)
    return Incumbent(built.placements(values), round(solver.objective_value), values)


class _WholeModelRun:
    """CP-SAT on the whole model: the proven bound, and any schedule it finds."""

    def __init__(
        self,
        built: ScheduleModel,
        start: Incumbent,
        known_bound: int,
        num_workers: int,
        seed: int,
        step: float,
        stop: Stop | None = None,
    ) -> None:
        self.built = built
        self.interrupt = stop or Stop()
        self.step = step
        self.solver = _solver(num_workers, seed)
        # Presolve probing of the whole model can take longer than the whole time limit.
        self.solver.parameters.cp_model_probing_level = 0
        self.start = start
        self.best: Incumbent | None = None
        self.bound: int | None = None
        self.proven = False
        self.finished = threading.Event()
        self.moved: tuple[float, float] = (known_bound, time.perf_counter())
        """The last bound that moved by more than `step` (a share of the bound), and when;
        at first the bound known beforehand, when the run starts."""
        self.bettered = False
        """Whether the run's bound has bettered the one known beforehand."""
        self.solver.best_bound_callback = self._bound_found

    def _bound_found(self, bound: float) -> None:
        if bound < self.moved[0] - self.step * abs(self.moved[0]):
            self.moved = (bound, time.perf_counter())
            self.bettered = True

    def stalled(self, first: float, later: float) -> bool:
        """The run has not bettered the bound known beforehand within `first` seconds, or its
        own bound has not moved by more than `step` for `later` seconds."""
        waited = time.perf_counter() - self.moved[1]
        return waited > (later if self.bettered else first)

    def run(self, budget: Budget, seconds: float) -> None:
        """Search until the budget allows no more (or the model is solved)."""
        model = self.built.fixed({}, self.start.values)
        budget.configure(self.solver, seconds)
        status = self.interrupt.solve(self.solver, model)
        budget.spend(self.solver)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.best = _whole(self.built, self.solver)
            self.proven = status == cp_model.OPTIMAL
            self.bound = round(self.solver.best_objective_bound)
        self.finished.set()

    def stop(self) -> None:
        """Ask the search to stop as soon as it can."""
        self.solver.stop_search()


class SharedIncumbent:
    """The best schedule so far, improved by one or more neighbourhood searches at once."""

    def __init__(
        self, start: Incumbent, budget: Budget, on_improve: ImprovementCallback | None
    ) -> None:
        self.best = start
        self.budget = budget
        self.on_improve = on_improve
        self.lock = threading.Lock()

    def offer(self, found: Incumbent | None, bound: int) -> None:
        """Keep `found` if it is better than the best so far."""
        with self.lock:
            if found is None or found.objective <= self.best.objective:
                return
            self.best = found
            if self.on_improve is not None:
                self.on_improve(found.objective, bound, self.budget.elapsed())


class NeighbourhoodSearch:
    """Re-plans a few provider-days at a time around the incumbent."""

    def __init__(
        self, built: ScheduleModel, seed: int, params: SearchParams, stop: Stop | None = None
    ) -> None:
        self.built = built
        self.interrupt = stop or Stop()
        self.rng = random.Random(seed)
        self.params = params
        self.jobs = len(built.jobs)
        self.pieces = Pieces(built)
        self.options: dict[ProviderDay, set[str]] = defaultdict(set)
        for job in built.jobs:
            for candidate in job.candidates:
                self.options[candidate.provider_id, candidate.day].add(job.id)
        self.provider_days = sorted(self.options)
        by_day: dict[int, list[ProviderDay]] = defaultdict(list)
        by_provider: dict[str, list[ProviderDay]] = defaultdict(list)
        for key in self.provider_days:
            by_day[key[1]].append(key)
            by_provider[key[0]].append(key)
        self.strategies = [
            _Strategy("one day", _Groups(list(by_day.values()), nearby=False), params),
            _Strategy("one provider", _Groups(list(by_provider.values()), nearby=True), params),
            _Strategy("anywhere", _Groups([self.provider_days], nearby=False), params),
        ]
        self._placed: tuple[Incumbent, dict[ProviderDay, set[str]]] | None = None

    def fork(self, seed: int) -> NeighbourhoodSearch:
        """Another search over the same model with its own random choices."""
        other = copy.copy(self)
        other.rng = random.Random(seed)
        other.strategies = [dataclasses.replace(strategy) for strategy in self.strategies]
        return other

    def run(
        self, shared: SharedIncumbent, budget: Budget, bound: int, until: Callable[[], bool]
    ) -> None:
        """Improve the shared schedule until the budget is spent, it reaches the bound,
        until(), or the run is asked to stop."""
        while (
            budget.left() > 0.05
            and shared.best.objective < bound
            and self.provider_days
            and not until()
            and not self.interrupt.requested
        ):
            incumbent = shared.best
            strategy = self._choose()
            freed, days = self.neighbourhood(incumbent, strategy)
            found, proven, cost = self.replan(incumbent, freed, days, budget)
            gain = found.objective - incumbent.objective if found is not None else 0
            strategy.learn(gain, cost, proven, len(freed), self.jobs)
            shared.offer(found, bound)

    def _choose(self) -> _Strategy:
        """An untried strategy, else now and then one at random, else the one paying best."""
        untried = [strategy for strategy in self.strategies if strategy.tries == 0]
        if untried:
            return untried[0]
        if self.rng.random() < self.params.explore_share:
            return self.rng.choice(self.strategies)
        return max(self.strategies, key=lambda strategy: strategy.pays)

    def neighbourhood(
        self, incumbent: Incumbent, strategy: _Strategy | None = None
    ) -> tuple[set[str], set[ProviderDay]]:
        """Provider-days drawn by a strategy (default: the first), and their jobs: booked
        there, or unbooked and able to go there (at most `waiting_per_provider_day` of these,
        drawn at random)."""
        strategy = strategy or self.strategies[0]
        placed = self._placed_by_day(incumbent)
        freed: set[str] = set()
        days: set[ProviderDay] = set()
        for key in strategy.groups.draw(self.rng):
            waiting = sorted(self.options[key] - incumbent.placements.keys())
            cap = self.params.waiting_per_provider_day
            freed |= placed.get(key, set()) | set(self.rng.sample(waiting, min(cap, len(waiting))))
            days.add(key)
            if len(freed) >= strategy.size:
                break
        return freed, days

    def _placed_by_day(self, incumbent: Incumbent) -> dict[ProviderDay, set[str]]:
        """The incumbent's booked jobs by provider-day; read once per incumbent, since most
        pieces find no improvement."""
        if self._placed is None or self._placed[0] is not incumbent:
            placed: dict[ProviderDay, set[str]] = defaultdict(set)
            for job_id, placement in incumbent.placements.items():
                placed[placement.provider_id, placement.start // MINUTES_PER_DAY].add(job_id)
            self._placed = (incumbent, dict(placed))
        return self._placed[1]

    def replan(
        self, incumbent: Incumbent, freed: set[str], days: set[ProviderDay], budget: Budget
    ) -> tuple[Incumbent | None, bool, float]:
        """Re-plan the freed jobs on the freed provider-days, everything else as it is; the
        piece's best schedule (None if it found none), whether it is proven optimal, and what
        it cost (seconds, or in a deterministic search its work in reference seconds)."""
        piece = self.pieces.piece(incumbent.placements, freed, days)
        solver = _solver(1, self.rng.randrange(1 << 30))
        # A piece is small: probing and symmetry cost more than they find there.
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        budget.configure(solver, self.params.piece_seconds)
        status = self.interrupt.solve(solver, piece.model)
        cost = budget.spend(solver)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"neighbourhood model is invalid: {piece.model.validate()}")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, False, cost
        found = piece.built.placements(list(solver.response_proto.solution))
        placements = {k: v for k, v in incumbent.placements.items() if k not in piece.freed}
        placements.update((job_id, found[job_id]) for job_id in piece.freed if job_id in found)
        objective = incumbent.objective + piece.objective(found) - piece.before
        return Incumbent(placements, objective), status == cp_model.OPTIMAL, cost


class _Groups:
    """Groups of provider-days (a day's, a provider's, or all); a draw is one group at random,
    shuffled, or with `nearby` its provider-days nearest a random one first."""

    def __init__(self, groups: list[list[ProviderDay]], nearby: bool) -> None:
        self.groups = groups
        self.nearby = nearby

    def draw(self, rng: random.Random) -> list[ProviderDay]:
        group = list(rng.choice(self.groups))
        if not self.nearby:
            rng.shuffle(group)
            return group
        middle = rng.choice(group)[1]
        return sorted(group, key=lambda key: (abs(key[1] - middle), rng.random()))


@dataclass
class _Strategy:
    """One way to draw a piece's provider-days, with its own piece size and a record of what
    its pieces gained per second."""

    name: str
    groups: _Groups
    params: SearchParams
    size: int = 0
    pays: float = 0.0
    """Objective gained per second of its pieces, a moving average."""
    tries: int = 0

    def __post_init__(self) -> None:
        self.size = self.size or self.params.first_piece_size

    def learn(self, gain: int, cost: float, proven: bool, freed: int, jobs: int) -> None:
        """Update the record; grow the size after a proven piece, shrink it after one cut
        short."""
        rate = max(gain, 0) / max(cost, 1e-3)
        memory = self.params.reward_memory if self.tries else 0.0
        self.pays = memory * self.pays + (1 - memory) * rate
        self.tries += 1
        if proven:
            self.size = min(jobs, max(self.size, freed) + self.params.grow_by)
        else:
            shrunk = int(self.size * self.params.shrink_factor)
            self.size = max(self.params.smallest_piece_size, shrunk)


def search(
    built: ScheduleModel,
    start: Incumbent,
    upper_bound: int,
    time_limit: float,
    num_workers: int,
    seed: int,
    on_improve: ImprovementCallback | None = None,
    params: SearchParams | None = None,
    deterministic: bool = False,
    stop: Stop | None = None,
) -> SearchOutcome:
    """Improve `start` within the time limit; `upper_bound` is a bound known beforehand.
    `deterministic` searches with one worker and counts work units instead of seconds. A
    `stop` ends the search within moments, with the best schedule found so far."""
    params = params or SearchParams()
    stop = stop or Stop()
    num_workers = 1 if deterministic else num_workers
    budget = Budget(time_limit, deterministic, params)
    workers = max(1, num_workers - 1)
    whole = _WholeModelRun(built, start, upper_bound, workers, seed, params.stall_step, stop)
    neighbourhoods = NeighbourhoodSearch(built, seed, params, stop)
    shared = SharedIncumbent(start, budget, on_improve)
    if num_workers == 1:
        whole.run(budget, time_limit * params.bound_share)
        bound = min(upper_bound, whole.bound if whole.bound is not None else upper_bound)
        shared.offer(whole.best, bound)
        if not whole.proven:
            neighbourhoods.run(shared, budget, bound, _never)
    else:
        background = threading.Thread(target=whole.run, args=(budget, time_limit), daemon=True)
        background.start()
        first = max(params.first_bound_seconds, params.first_bound_share * time_limit)
        later = max(params.stall_seconds, params.stall_share * time_limit)
        neighbourhoods.run(
            shared,
            budget,
            upper_bound,
            lambda: whole.finished.is_set() or whole.stalled(first, later),
        )
        whole.stop()
        stop.wait(background)
        bound = min(upper_bound, whole.bound if whole.bound is not None else upper_bound)
        shared.offer(whole.best, bound)
        if not whole.proven:  # the bound has stopped moving: every worker searches pieces
            searches = [neighbourhoods.fork(seed + k) for k in range(num_workers)]
            _in_parallel(searches, shared, budget, bound, stop)
    bound = max(bound, shared.best.objective)
    return SearchOutcome(shared.best, bound, whole.proven or shared.best.objective >= bound)


def _in_parallel(
    searches: list[NeighbourhoodSearch],
    shared: SharedIncumbent,
    budget: Budget,
    bound: int,
    stop: Stop | None = None,
) -> None:
    """Run the searches in threads (CP-SAT releases the GIL while it solves) until the budget
    is spent or a stop."""
    threads = [
        threading.Thread(target=search.run, args=(shared, budget, bound, _never), daemon=True)
        for search in searches
    ]
    for thread in threads:
        thread.start()
    (stop or Stop()).wait(*threads)


def _never() -> bool:
    return False
