"""One import machinery (归集) for every bulk load of the platform. See docs/ingest.md.

Kinds (what a file holds) register in `<app>/ingest.py`; services receive and run batches; readers stream
CSV / JSON Lines / XLSX; reports write the annotated error workbook and blank templates.
"""

from govtrust.core.ingest.kinds import (
    CellError,
    Column,
    ImportKind,
    RowOutcome,
    Staged,
    Suppliers,
    all_kinds,
    get_kind,
    register_kind,
    register_suppliers,
)

__all__ = [
    "CellError",
    "Column",
    "ImportKind",
    "RowOutcome",
    "Staged",
    "Suppliers",
    "all_kinds",
    "get_kind",
    "register_kind",
    "register_suppliers",
]
