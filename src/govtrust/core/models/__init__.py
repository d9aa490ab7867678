"""core's models, one module per concern; import them here so Django sees them."""

from govtrust.core.models.audit import AccessLog, AuditCheckpoint, AuditImmutableError, ObjectChange
from govtrust.core.models.calendar import CalendarYear
from govtrust.core.models.codes import KnownLegacyCode
from govtrust.core.models.events import OutboxEvent
from govtrust.core.models.regions import Region

__all__ = [
    "AccessLog",
    "AuditCheckpoint",
    "AuditImmutableError",
    "CalendarYear",
    "KnownLegacyCode",
    "ObjectChange",
    "OutboxEvent",
    "Region",
]
