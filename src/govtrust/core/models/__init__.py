"""core's models, one module per concern; import them here so Django sees them."""

from govtrust.core.models.audit import AccessLog, AuditCheckpoint, AuditImmutableError, ObjectChange
from govtrust.core.models.calendar import CalendarYear
from govtrust.core.models.codes import KnownLegacyCode
from govtrust.core.models.events import OutboxEvent
from govtrust.core.models.ingest import ImportBatch, ImportRowError, StagedRow, TypedStagedRow
from govtrust.core.models.jobs import Job
from govtrust.core.models.notifications import Notification
from govtrust.core.models.regions import Region
from govtrust.core.models.sweep import SweepRun

__all__ = [
    "AccessLog",
    "AuditCheckpoint",
    "AuditImmutableError",
    "CalendarYear",
    "ImportBatch",
    "ImportRowError",
    "Job",
    "KnownLegacyCode",
    "Notification",
    "ObjectChange",
    "OutboxEvent",
    "Region",
    "StagedRow",
    "TypedStagedRow",
    "SweepRun",
]
