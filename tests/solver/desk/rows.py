"""Schedule rows and changes as the desk's tests write them: booked botox with `rn` in
`inj1`, 30 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.results import Appointment, Change


def booked(rid: str, patient_id: str, start: datetime, **more: Any) -> Appointment:
    """A booked botox appointment of the patient with rn in inj1 from `start`."""
    fields = {"provider_id": "rn", "room_id": "inj1", "status": "booked"}
    end = start + timedelta(minutes=30)
    row = {"request_id": rid, "patient_id": patient_id, "service_id": "botox", "start": start}
    return Appointment.model_validate(row | fields | {"end": end} | more)


def change(kind: str, rid: str, **sides: str) -> Change:
    """A change of p1's botox appointment `rid`."""
    return Change(change=kind, request_id=rid, patient_id="p1", service_id="botox", **sides)
