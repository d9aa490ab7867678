"""Import kinds of the records app (found by `core.ingest.kinds.discover`); the formats live in `formats/`."""

from govtrust.records.formats import penalty, project  # noqa: F401  (registers the kinds)
