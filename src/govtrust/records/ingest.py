"""Import kinds of the records app, found by `core.ingest.kinds.discover` (see docs/ingest.md)."""

from govtrust.records import feed  # noqa: F401  (registers records.feed)
