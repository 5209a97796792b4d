"""The words a message template is filled with for one appointment (models/templates.py has
the placeholders, the rendering and the audit's check)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models.results import Appointment
from models.scenario import Scenario
from models.templates import day_words, moment_words, time_words


class AppointmentWords:
    """The placeholders every message about an appointment has, for one scenario's names."""

    def __init__(self, scenario: Scenario) -> None:
        self.zone = ZoneInfo(scenario.clinic.timezone)
        self.clinic = {"clinic": scenario.clinic.name, "clinic_phone": scenario.clinic.phone or ""}
        self.first_names = {p.id: p.first_name for p in scenario.patients}
        self.names: dict[str, dict[str, str]] = {
            kind: {item.id: item.name or item.id for item in getattr(scenario, kind + "s")}
            for kind in ("service", "provider", "room")
        }

    def of(self, appointment: Appointment) -> dict[str, str]:
        """first_name, service, provider, room, date, time, start (clinic time), clinic and
        clinic_phone of a booked appointment."""
        assert appointment.start is not None
        start = appointment.start.astimezone(self.zone)
        ids = {
            "service": appointment.service_id,
            "provider": appointment.provider_id or "",
            "room": appointment.room_id or "",
        }
        return {
            "first_name": self.first_names.get(appointment.patient_id, ""),
            **{kind: self.names[kind].get(item, item) for kind, item in ids.items()},
            "date": day_words(start.date()),
            "time": time_words(start),
            "start": moment_words(start),
            **self.clinic,
        }
