"""Every variant operation, made and refused: a refused one is a problem naming the call and
the fix, never an exception, and the variant says it is invalid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.loader import ScenarioError, load_scenario
from models.money import money
from models.scenario import Scenario
from solver.whatif import Variant, vary
from tests.conftest import (
    MINI_DAYS,
    MINI_WEEK,
    MONDAY,
    TUESDAY,
    booking,
    machine,
    mini_clinic,
    patients,
    provider,
    request,
    room,
    service,
    week,
)


@pytest.fixture
def base() -> Scenario:
    """Two days; md does consults, botox and filler (which needs a consult), rn botox only;
    an injection room, a laser room and one laser."""
    return mini_clinic(
        services=[
            service("consult", 30, category="consult"),
            service("botox", 30, value=400),
            service("filler", 45, requires_consult=True, deposit=100),
            service("laser_hair", 30, "laser", equipment={"laser": 1}),
        ],
        providers=[
            provider("md", ["consult", "botox", "filler", "laser_hair"], MINI_WEEK, role="md"),
            provider(
                "rn",
                ["botox"],
                MINI_WEEK,
                time_off=[TUESDAY],
                preferences={"preferred_services": ["botox"]},
            ),
        ],
        rooms=[room("inj1", "injection"), room("las1", "laser")],
        equipment=[machine("laser")],
        patients=patients(["p1", "p2", "p3"]),
        requests=[
            request("r1", "p1", "botox", latest=TUESDAY, required_provider="rn"),
            request("r2", "p2", "consult", preferred_provider="rn"),
            request("v1", "p3", "consult", visit="visit1"),
            request("v2", "p3", "botox", visit="visit1"),
        ],
        bookings=[
            booking("b1", "p2", "botox", "rn", "inj1", f"{MONDAY}T10:00"),
            booking("b2", "p1", "botox", "rn", "inj1", f"{MONDAY}T11:00", status="cancelled"),
        ],
    )


def codes(variant: Variant) -> list[str]:
    return [problem.code for problem in variant.problems]


def refused(variant: Variant, code: str, *words: str) -> None:
    """The variant is invalid with one problem of this code whose message has these words."""
    assert not variant.valid and variant.scenario is None
    assert codes(variant) == [code]
    for word in words:
        assert word in variant.problems[0].message


# --- providers ------------------------------------------------------------------------------


def test_add_provider_like_another_copies_role_services_hours_but_not_time_off(
    base: Scenario,
) -> None:
    variant = vary(base, "new rn").add_provider("rn2", like="rn", name="Robin").build()
    assert variant.valid and variant.scenario is not None
    added = variant.scenario.provider("rn2")
    assert (added.name, added.role, added.services) == ("Robin", "rn", ["botox"])
    assert added.weekly == base.provider("rn").weekly
    assert added.time_off == [] and added.preferences.preferred_services == ["botox"]
    assert variant.changes == ("added provider rn2 like rn, name as given",)


def test_add_provider_from_fields_alone(base: Scenario) -> None:
    variant = vary(base, "x").add_provider("aes", role="aesthetician", services=["botox"]).build()
    assert variant.scenario is not None
    assert variant.scenario.provider("aes").weekly == {}
    assert [f.code for f in variant.new_findings] == ["provider_without_hours"]


def test_add_provider_refuses_a_taken_id_and_an_unknown_model(base: Scenario) -> None:
    refused(vary(base, "x").add_provider("md").build(), "duplicate_id", "another id")
    variant = vary(base, "x").add_provider("rn2", like="rnn").build()
    refused(variant, "unknown_id", "no provider 'rnn'", "did you mean rn")
    assert variant.problems[0].where == "add_provider('rn2', like='rnn')"


def test_a_bad_value_gets_exactly_the_message_a_file_gets(base: Scenario, tmp_path: Path) -> None:
    made = vary(base, "late").add_provider("rn2", like="rn", weekly={"mon": "16:00-25:00"})
    variant = made.build()
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(made.data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert variant.problems == tuple(error.value.problems)
    assert "providers[2] (id 'rn2').weekly.mon" in variant.problems[0].where


def test_remove_provider_rebooks_their_bookings_and_frees_their_requests(base: Scenario) -> None:
    variant = vary(base, "no rn").remove_provider("rn").build()
    assert variant.scenario is not None
    scenario = variant.scenario
    assert [p.id for p in scenario.providers] == ["md"]
    assert [b.id for b in scenario.bookings] == []  # b2 was cancelled: it held no time
    rebook = {r.id: r for r in scenario.requests}["b1"]
    assert (rebook.patient, rebook.service, str(rebook.earliest), str(rebook.latest)) == (
        "p2",
        "botox",
        MONDAY,
        MONDAY,
    )
    assert rebook.deposit_paid and rebook.source == "reschedule"
    r1, r2 = scenario.requests[0], scenario.requests[1]
    assert r1.required_provider is None and r2.preferred_provider is None
    assert "1 confirmed booking(s) to rebook" in variant.changes[0]
    assert "1 request(s) no longer require them" in variant.changes[0]


def test_removing_the_only_consult_provider_is_an_audit_finding(base: Scenario) -> None:
    variant = vary(base, "no md").remove_provider("md").build()
    assert variant.valid
    found = {(f.code, f.where) for f in variant.new_findings}
    assert ("service_without_provider", "services[0]") in found  # nobody may do the consult
    assert ("consult_unavailable", "services[2].requires_consult") in found  # so no filler
    assert set(variant.new_findings) <= set(variant.findings)


def test_remove_provider_refuses_an_unknown_one(base: Scenario) -> None:
    refused(vary(base, "x").remove_provider("dr_who").build(), "unknown_id", "md, rn")


def test_set_hours_changes_a_day_or_makes_it_a_day_off(base: Scenario) -> None:
    variant = vary(base, "x").set_hours("md", "Monday", ["09:00-12:00", "13:00-17:00"]).build()
    assert variant.scenario is not None
    assert [str(r) for r in variant.scenario.provider("md").weekly["mon"]] == [
        "09:00-12:00",
        "13:00-17:00",
    ]
    off = vary(base, "x").set_hours("md", "tue", None).build()
    assert off.scenario is not None and "tue" not in off.scenario.provider("md").weekly
    assert off.changes == ("md does not work on tue",)


def test_set_hours_refuses_an_unknown_weekday_and_reports_bad_hours(base: Scenario) -> None:
    refused(vary(base, "x").set_hours("md", "someday", None).build(), "bad_value", "weekday")
    bad = vary(base, "x").set_hours("md", "mon", "17:00-09:00").build()
    assert not bad.valid and bad.problems[0].where.startswith("providers[0] (id 'md').weekly")


def test_add_weekday_takes_the_clinic_hours_unless_given(base: Scenario) -> None:
    opened = vary(base, "x").set_clinic_hours("wed", "10:00-16:00").extend_horizon(1)
    variant = opened.add_weekday("rn", "wed").build()
    assert variant.scenario is not None
    assert [str(r) for r in variant.scenario.provider("rn").weekly["wed"]] == ["10:00-16:00"]
    given = opened.add_weekday("rn", "wed", "12:00-16:00").build()
    assert given.scenario is not None
    assert [str(r) for r in given.scenario.provider("rn").weekly["wed"]] == ["12:00-16:00"]


def test_add_weekday_refuses_a_day_worked_already_or_a_closed_clinic(base: Scenario) -> None:
    refused(vary(base, "x").add_weekday("rn", "mon").build(), "already_works", "set_hours")
    refused(vary(base, "x").add_weekday("rn", "sun").build(), "clinic_closed", "set_clinic_hours")


def test_remove_weekday(base: Scenario) -> None:
    variant = vary(base, "x").remove_weekday("rn", "tue").build()
    assert variant.scenario is not None and list(variant.scenario.provider("rn").weekly) == ["mon"]
    refused(vary(base, "x").remove_weekday("rn", "fri").build(), "not_working", "mon, tue")


def test_permit_and_forbid(base: Scenario) -> None:
    variant = vary(base, "x").permit("rn", "filler").forbid("rn", "botox").build()
    assert variant.scenario is not None
    rn = variant.scenario.provider("rn")
    assert rn.services == ["filler"] and rn.preferences.preferred_services == []
    assert variant.new_findings == ()  # no preference left for a service rn may not do


def test_permit_and_forbid_refuse_what_changes_nothing_or_is_unknown(base: Scenario) -> None:
    refused(vary(base, "x").permit("rn", "botox").build(), "already_permitted")
    refused(vary(base, "x").forbid("rn", "filler").build(), "not_permitted")
    refused(vary(base, "x").permit("rn", "fillers").build(), "unknown_id", "did you mean filler")
    refused(vary(base, "x").forbid("nobody", "botox").build(), "unknown_id", "provider")


# --- services -------------------------------------------------------------------------------


def test_set_duration_and_its_parts(base: Scenario) -> None:
    variant = vary(base, "x").set_duration("botox", 15, processing=15, finish=15).build()
    assert variant.scenario is not None
    botox = variant.scenario.service("botox")
    assert (botox.duration, botox.processing, botox.finish, botox.length) == (15, 15, 15, 45)
    assert variant.changes == (
        "botox: duration 15 (was 30), processing 15 (was 0), finish 15 (was 0)",
    )


def test_set_duration_refuses_an_unknown_service_and_reports_a_bad_length(
    base: Scenario,
) -> None:
    refused(vary(base, "x").set_duration("botx", 15).build(), "unknown_id", "did you mean botox")
    off_grid = vary(base, "x").set_duration("botox", 20).build()  # the grid is 15 minutes
    assert not off_grid.valid and "services[1]" in off_grid.problems[0].where


def test_set_deposit(base: Scenario) -> None:
    variant = vary(base, "x").set_deposit("filler", 0).build()
    assert variant.scenario is not None and variant.scenario.service("filler").deposit == 0
    before = money(base.service("filler").deposit, base.clinic.currency)
    assert variant.changes == (f"filler deposit $0.00 (was {before})",)
    negative = vary(base, "x").set_deposit("filler", -5).build()
    assert codes(negative) == ["greater_than_equal"]


# --- rooms and machines ---------------------------------------------------------------------


def test_add_room(base: Scenario) -> None:
    variant = vary(base, "x").add_room("inj2", "injection").build()
    assert variant.scenario is not None
    assert [r.id for r in variant.scenario.rooms] == ["inj1", "las1", "inj2"]
    refused(vary(base, "x").add_room("inj1", "injection").build(), "duplicate_id")
    refused(vary(base, "x").add_room("spa1", "spa").build(), "not_used", "injection, laser")


def test_add_machine_and_set_machine_count(base: Scenario) -> None:
    gone = vary(base, "x").set_machine_count("laser", 0).build()
    assert gone.scenario is not None
    assert [f.code for f in gone.new_findings] == ["equipment_unavailable"]
    two = vary(base, "x").set_machine_count("laser", 2).build()
    assert two.scenario is not None and two.scenario.equipment[0].count == 2
    refused(vary(base, "x").set_machine_count("lazer", 2).build(), "unknown_id", "laser")
    refused(vary(base, "x").add_machine("laser").build(), "duplicate_id")
    refused(vary(base, "x").add_machine("lamp").build(), "not_used", "set_machine_count")


def test_take_down_whole_days_of_a_room(base: Scenario) -> None:
    variant = vary(base, "x").take_down("inj1", MONDAY, MONDAY).build()
    assert variant.scenario is not None
    [span] = variant.scenario.rooms[0].out_of_service
    assert (span.start.isoformat(), span.end.isoformat()) == (
        f"{MONDAY}T00:00:00",
        f"{TUESDAY}T00:00:00",
    )


def test_take_down_every_unit_of_a_machine_or_some_for_some_hours(base: Scenario) -> None:
    two = vary(base, "x").set_machine_count("laser", 2)
    whole = two.take_down("laser", MONDAY, TUESDAY).build()
    assert whole.scenario is not None and len(whole.scenario.equipment[0].out_of_service) == 2
    assert (
        whole.changes[-1] == f"laser (2 unit(s)) out of service {MONDAY} 00:00 to 2026-12-09 00:00"
    )
    one = two.take_down("laser", f"{MONDAY}T10:00", f"{MONDAY}T12:00", units=1).build()
    assert one.scenario is not None
    [span] = one.scenario.equipment[0].out_of_service
    assert (span.start.hour, span.end.hour) == (10, 12)


@pytest.mark.parametrize(
    ("item", "start", "end", "units", "code", "words"),
    [
        ("lase", MONDAY, MONDAY, None, "unknown_id", "room or machine"),
        ("inj1", TUESDAY, MONDAY, None, "bad_value", "not after the start"),
        ("inj1", "2027-01-04", "2027-01-05", None, "outside_horizon", "extend_horizon"),
        ("inj1", "next monday", MONDAY, None, "bad_value", "YYYY-MM-DD"),
        ("inj1", MONDAY, MONDAY, 2, "bad_value", "a room is taken down whole"),
        ("laser", MONDAY, MONDAY, 3, "bad_value", "it has 1"),
    ],
)
def test_take_down_refuses(
    base: Scenario, item: str, start: str, end: str, units: int | None, code: str, words: str
) -> None:
    refused(vary(base, "x").take_down(item, start, end, units).build(), code, words)


# --- the clinic and its policy --------------------------------------------------------------


def test_set_policy_by_name_or_dotted_path(base: Scenario) -> None:
    variant = (
        vary(base, "x")
        .set_policy("penalties.idle_slot", 3)
        .set_policy("tier_weights.vip", 6)
        .set_policy("consult_valid_days", 90)
        .build()
    )
    assert variant.scenario is not None
    policies = variant.scenario.policies
    assert (policies.penalties.idle_slot, policies.tier_weights["vip"]) == (3, 6)
    assert policies.consult_valid_days == 90
    assert variant.changes[0] == "policies.penalties.idle_slot = 3 (was 1)"


def test_set_policy_refuses_an_unknown_field_and_reports_a_bad_value(base: Scenario) -> None:
    refused(
        vary(base, "x").set_policy("penalties.idle", 3).build(),
        "unknown_policy",
        "did you mean penalties.idle_slot",
    )
    refused(vary(base, "x").set_policy("deposit", 3).build(), "unknown_policy")
    bad = vary(base, "x").set_policy("tier_weights.vip", 0).build()
    assert not bad.valid and bad.problems[0].where == "policies.tier_weights.vip"


def test_set_clinic_hours_opens_or_closes_a_weekday(base: Scenario) -> None:
    closed = vary(base, "x").set_clinic_hours("tue", None).build()
    assert closed.scenario is not None and "tue" not in closed.scenario.clinic.hours
    found = {f.code for f in closed.new_findings}
    assert "provider_hours_outside_clinic" in found  # md and rn still work Tuesdays
    refused(vary(base, "x").set_clinic_hours("xyz", None).build(), "bad_value")


def test_a_saturday_provider_needs_a_horizon_with_a_saturday(base: Scenario) -> None:
    """The old notebook's mistake: a Saturday injector in a Monday-Tuesday horizon."""
    saturday = vary(base, "sat").set_clinic_hours("sat", "09:00-14:00")
    saturday = saturday.add_provider("rn_sat", like="rn", weekly={"sat": "09:00-14:00"})
    outside = saturday.build()
    assert [f.code for f in outside.new_findings] == ["provider_without_hours"]
    inside = saturday.set_horizon(days=6).build()  # Monday to Saturday
    assert inside.valid and inside.new_findings == ()


def test_extend_and_set_horizon(base: Scenario) -> None:
    longer = vary(base, "x").extend_horizon(3).build()
    assert longer.scenario is not None and longer.scenario.clinic.horizon.days == 5
    moved = vary(base, "x").set_horizon(start=TUESDAY, days=1).build()
    assert set(codes(moved)) == {"outside_horizon"}  # Monday's requests and booking
    assert any("(id 'b1')" in problem.where for problem in moved.problems)
    refused(vary(base, "x").extend_horizon(0).build(), "bad_value")


# --- demand ---------------------------------------------------------------------------------


@pytest.fixture
def busy() -> Scenario:
    """Twenty requests of ten patients, two of them one visit."""
    requests = [request(f"q{i}", f"p{i % 10}", "botox", latest=TUESDAY) for i in range(18)]
    requests += [request("v1", "p9", "botox", visit="v"), request("v2", "p9", "peel", visit="v")]
    return mini_clinic(
        services=[service("botox"), service("peel")],
        providers=[provider("rn", ["botox", "peel"], week(MINI_DAYS, "09:00-17:00"))],
        patients=patients(f"p{i}" for i in range(10)),
        requests=requests,
    )


def test_scale_demand_up_copies_with_fresh_ids_keeping_patient_and_window(busy: Scenario) -> None:
    variant = vary(busy, "x").scale_demand(2.0).build()
    assert variant.scenario is not None
    after = variant.scenario.requests
    assert len(after) == 40 and len({r.id for r in after}) == 40
    copies = {r.id: r for r in after}
    assert (copies["q3.2"].patient, copies["q3.2"].latest) == ("p3", busy.requests[3].latest)
    assert copies["v1.2"].visit == copies["v2.2"].visit == "v.2"
    assert variant.changes == ("demand x2 (seed 0): 20 requests, now 40",)


def test_scale_demand_is_the_same_for_a_seed_and_keeps_visits_whole(busy: Scenario) -> None:
    def ids(factor: float, seed: int) -> list[str]:
        variant = vary(busy, "x").scale_demand(factor, seed=seed).build()
        assert variant.scenario is not None
        return [r.id for r in variant.scenario.requests]

    half = ids(0.5, seed=3)
    assert half == ids(0.5, seed=3) and len(half) in (10, 11)  # 19 units: 18 alone, one visit
    assert ("v1" in half) == ("v2" in half)
    assert any(ids(0.5, seed=s) != half for s in range(4, 8))
    more = ids(1.3, seed=1)
    assert len(more) in (26, 27) and more[:20] == [r.id for r in busy.requests]


def test_scale_demand_refuses_a_factor_it_cannot_use(busy: Scenario) -> None:
    for factor in (-1, float("nan"), "double"):
        refused(vary(busy, "x").scale_demand(factor).build(), "bad_value", "factor")  # type: ignore[arg-type]


# --- the variant as a whole -----------------------------------------------------------------


def test_operations_never_change_the_variation_they_start_from(base: Scenario) -> None:
    start = vary(base, "x")
    start.remove_provider("rn").set_deposit("filler", 0)
    assert start.build().scenario == base
    assert start.changes == () and start.problems == ()


def test_a_refused_operation_leaves_the_rest_and_says_where(base: Scenario) -> None:
    variant = vary(base, "x").set_deposit("filler", 0).remove_provider("nobody").build()
    assert variant.changes == ("filler deposit $0.00 (was $100.00)",)
    assert variant.problems[0].where == "remove_provider('nobody')"
    assert "x: problem: unknown_id remove_provider('nobody')" in variant.report()


def test_variant_of_a_scenario_is_the_scenario_audited(base: Scenario) -> None:
    variant = Variant.of(base, "base")
    assert variant.valid and variant.scenario is base and variant.changes == ()
    assert variant.findings == tuple(vary(base, "b").build().findings)
