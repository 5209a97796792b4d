"""The reason codes of the exception queue and what the owner should do about each.

Eligibility, the solve and the re-plan (`solver/`) give every request or booking they hand to
a person one of these codes; docs/reasons.md says what each means. The catalogue lives here,
beside the scenario, so the rulebook audit can check a code the clinic writes
(policies.exception_owners) without reaching into the solver.
"""

from __future__ import annotations

SUGGESTED_ACTIONS = {
    "no_permitted_provider": "sign off a provider for this service or offer another service",
    "required_provider_not_permitted": "ask the patient to accept another provider",
    "licence_expired": "renew the provider's licence or give the work to someone else",
    "no_room_of_type": "add a room of the type the service needs or change the service's rooms",
    "no_equipment": "bring the machine back into service or rent one",
    "consult_required": "book a consultation that qualifies the service first",
    "no_qualifying_consult": "add a consultation that qualifies the service to the menu, or "
    "list the service in a consultation's qualifies",
    "deposit_unpaid": "collect the deposit, then book",
    "deposit_due_too_soon": "collect the deposit, then book",
    "window_closed": "offer the patient a day the clinic is open",
    "window_passed": "offer the patient a new date",
    "series_too_soon": "offer a date after the series spacing",
    "no_provider_hours": "offer another week or add provider hours",
    "provider_not_working": "offer a day the provider works, or another week",
    "provider_time_off": "offer a day after the time off, or another provider",
    "visit_incomplete": "book the other parts of the visit or split it",
    "visit_under_way": "find the patient's next part of the visit a provider, or rebook it",
    "not_replanned": "re-plan its days (reshuffle --through) or keep it on the waitlist",
    "booking_conflict": "call the patient to move this appointment",
    "left_by_soft_rule": "book it at the time named if the clinic accepts the soft rule's cost, "
    "else offer the waitlist or another week",
    "search_stopped_early": "book it at the time named, or solve again with a longer time limit",
    "provider_full": "offer the waitlist or another week",
    "room_full": "offer the waitlist or another week",
    "equipment_full": "offer the waitlist or another week",
    "patient_busy": "offer the patient a time around their other appointment or another week",
    "visit_apart": "book the parts of the visit on their own or offer another week",
}
