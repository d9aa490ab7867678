"""The contract an import kind implements, and the registry of kinds (see docs/ingest.md).

    # <app>/ingest.py (found automatically, like sweeps.py)
    class CivilServants(ImportKind):
        code, label = "registry.civil_servants", _("公务员")
        columns = (Column("name", _("姓名"), required=True), ...)

        def begin(self, batch): ...                       # per-batch caches, e.g. every known USCC once
        def validate_row(self, values, *, row_number): ... # -> RowOutcome(data, errors, natural_key)
        def publish(self, batch, staged): ...              # bulk-create; -> {"published": n, ...}

    register_kind(CivilServants())

Core knows no domain models, so registry tells it who suppliers are (`register_suppliers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:
    from govtrust.core.models import ImportBatch


@dataclass(frozen=True)
class Column:
    """One column of a kind's file.

    `header` is the Chinese header in files (`aliases`: older spellings also accepted; the `key` itself is
    accepted too, which is what JSON Lines producers usually send). `choices` are (code, label) pairs: a
    cell may hold either, the kind receives the code, and the template offers the labels in a drop-down.
    `sensitive` cells (ID numbers) are stored masked in the error list.
    """

    key: str
    header: Any  # str or lazy translation
    required: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    help: Any = ""
    example: str = ""
    aliases: tuple[str, ...] = ()
    sensitive: bool = False
    width: int = 18  # template column width


@dataclass(frozen=True)
class CellError:
    column_key: str  # "" for an error about the whole row
    value: str
    reason: str


@dataclass
class RowOutcome:
    """What `validate_row` found: `data` (JSON-able) to stage, or None with at least one error.

    A kind with a `staging_model` may instead return `typed`: the values of its `staging_columns`, in
    that order, staged in its own table (`data` is then None).

    `natural_key` identifies the row's object: a second row of the same file with the same key is rejected
    by the framework. Leave it "" when the kind has no such notion. Never put a clear ID number in it
    (use `core.crypto.keyed_hash`): it is stored until publication.
    """

    data: dict[str, Any] | None
    errors: list[CellError] = field(default_factory=list)
    natural_key: str = ""
    typed: tuple[Any, ...] | list[Any] | None = None


class Staged(NamedTuple):
    """One staged row as `publish` receives it (row_number is the provenance within the batch)."""

    row_number: int
    natural_key: str
    data: dict[str, Any]


class ImportKind:
    """Base class of an import kind; subclasses set the class attributes and implement the three methods.

    `action` is the permission (from accounts.permissions.ACTIONS) a console user needs to upload this kind.
    `supplier_required`: the batch must name a registered supplier (the body that sends the data).
    """

    code: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    supplier_required: ClassVar[bool] = True
    action: ClassVar[str] = "records.ingest"
    # Optional typed staging (`core.models.TypedStagedRow` subclass) and the columns `RowOutcome.typed` fills.
    staging_model: ClassVar[Any] = None
    staging_columns: ClassVar[tuple[str, ...]] = ()
    # Validate rows in a forked child process (core.ingest.parallel). Only for a kind whose `validate_row`
    # keeps no state that `publish` needs: the child's copy of the kind is not this process's.
    parallel_validation: ClassVar[bool] = False

    def begin(self, batch: ImportBatch) -> None:
        """Called once per run before the first row. A resumed run skips rows already staged: rebuild any
        state that earlier rows of the file contribute (e.g. bodies defined earlier) from `staged_rows(batch)`."""

    def validate_row(self, values: dict[str, str], *, row_number: int) -> RowOutcome:
        """`values` maps every column key to the trimmed cell text ("" when empty); required cells are
        non-empty and choice cells hold a code (the framework checked both)."""
        raise NotImplementedError

    def publish(self, batch: ImportBatch, staged: Iterator[Staged]) -> dict[str, int]:
        """Create the domain objects from the staged rows, in row order. Runs once, inside the one
        transaction that also marks the batch published; return counts, "published" = rows stored."""
        raise NotImplementedError

    def template_rows(self) -> list[dict[str, str]]:
        """Example rows for the blank template (column key -> text); by default each column's example."""
        return [{c.key: c.example for c in self.columns}]

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


_kinds: dict[str, ImportKind] = {}
_discovered = False


def register_kind(kind: ImportKind) -> ImportKind:
    if not kind.code or len(kind.code) > 100:
        raise ValueError("an import kind code must be 1–100 characters")
    keys = [c.key for c in kind.columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"import kind {kind.code!r} has duplicate column keys")
    existing = _kinds.get(kind.code)
    if existing is not None and type(existing) is not type(kind):
        raise ValueError(f"import kind {kind.code!r} is already registered by {type(existing).__module__}")
    _kinds[kind.code] = kind
    return kind


def discover() -> None:
    """Import every installed app's `ingest` module so that its kinds register (once per process)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("ingest")
        _discovered = True


def get_kind(code: str) -> ImportKind:
    """The registered kind; KeyError when there is none."""
    discover()
    return _kinds[code]


def all_kinds() -> list[ImportKind]:
    discover()
    return sorted(_kinds.values(), key=lambda k: k.code)


# --- suppliers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppliers:
    """How core learns about supplying bodies without importing the registry.

    `name_of(code)`: the registered name of the body with this USCC, or None.
    `codes_visible_to(user, action)`: an iterable (or a values QuerySet) of the USCCs of the bodies in the
    user's data scope for `action`, used to show credit offices the batches of their suppliers.
    """

    name_of: Callable[[str], str | None]
    codes_visible_to: Callable[[Any, str], Iterable[str]]


_suppliers: list[Suppliers] = []


def register_suppliers(suppliers: Suppliers) -> None:
    _suppliers[:] = [suppliers]


def suppliers() -> Suppliers | None:
    return _suppliers[0] if _suppliers else None
