"""Read-only queries other apps call (the honours check of the disclosure issue, the archive, evaluation).

    from govtrust.sanctions.queries import measures_in_force_for, incentives_for, honours_barred

No data scope here: callers check their own user's permissions before showing the result.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from govtrust.registry.models import Agency, CivilServant
from govtrust.sanctions import policy
from govtrust.sanctions.models import Incentive, IncentiveStatus, Measure, MeasureStatus

HONOURS_MEASURE = "honours_ineligible"


@dataclass(frozen=True)
class MeasureInForce:
    code: str
    label: str
    case_number: str
    record_number: str
    since: datetime.date
    basis: str
    provisional: bool


@dataclass(frozen=True)
class IncentiveInForce:
    code: str
    label: str
    record_number: str
    since: datetime.date
    basis: str
    provisional: bool


def _basis_text(data: dict[str, Any]) -> str:
    return f"《{data.get('document', '')}》（{data.get('number', '')}）{data.get('articles', '')}"


def measures_in_force_for(agency: Agency) -> list[MeasureInForce]:
    """The sanction measures a person confirmed (or changed) that are in force against `agency` now."""
    cat = policy.catalog()
    rows = (
        Measure.objects.filter(case__agency=agency, status=MeasureStatus.IN_FORCE)
        .select_related("case__record")
        .order_by("decided_on", "pk")
    )
    out = []
    for m in rows:
        spec = cat.measures.get(m.applied_code)
        out.append(
            MeasureInForce(
                code=m.applied_code,
                label=spec.label if spec else m.applied_code,
                case_number=m.case.number or "",
                record_number=m.case.record.number,
                since=m.decided_on or m.case.proposed_on,
                basis=_basis_text(spec.basis.as_data() if spec else m.basis),
                provisional=spec.provisional if spec else m.provisional,
            )
        )
    return out


def measures_in_force(subject: Agency | CivilServant) -> list[MeasureInForce]:
    """Measures in force against a subject. Cases exist for government bodies only: a civil servant has none."""
    return measures_in_force_for(subject) if isinstance(subject, Agency) else []


def honours_barred(agency: Agency) -> bool:
    """True while a confirmed 取消参加各类荣誉评选资格 measure is in force (the honours check)."""
    return Measure.objects.filter(
        case__agency=agency, status=MeasureStatus.IN_FORCE, applied_code=HONOURS_MEASURE
    ).exists()


def incentives_for(subject: Agency | CivilServant) -> list[IncentiveInForce]:
    """Incentives in force for a body or a civil servant (from commendation records)."""
    cat = policy.catalog()
    field = "agency" if isinstance(subject, Agency) else "civil_servant"
    rows = (
        Incentive.objects.filter(**{field: subject}, status=IncentiveStatus.IN_FORCE)
        .select_related("record")
        .order_by("granted_on", "pk")
    )
    out = []
    for inc in rows:
        spec = cat.incentives.get(inc.code)
        out.append(
            IncentiveInForce(
                code=inc.code,
                label=spec.label if spec else inc.code,
                record_number=inc.record.number,
                since=inc.granted_on,
                basis=_basis_text(inc.basis),
                provisional=inc.provisional,
            )
        )
    return out
