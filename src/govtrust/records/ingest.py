"""Import kinds of the records app, found by `core.ingest.kinds.discover` (see docs/ingest.md).

The 双公示 and project formats live in `formats/`; `records.feed` reads the change feed of other platforms.
"""

from govtrust.records import feed  # noqa: F401  (registers records.feed)
from govtrust.records.formats import penalty, project  # noqa: F401  (registers the kinds)
