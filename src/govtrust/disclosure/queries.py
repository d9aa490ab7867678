"""Personnel credit queries and the honours check: input checks, the candidates file, findings and verdicts.

Pure where it can be (row checks, verdicts: no ORM); `findings_for` reads the registry, the records and the
lists, and is called only by `services_queries`, which audits every read.

The candidates file is read here with python-calamine, not through `core.ingest`: a query loads nothing into
the platform (no staging, no import batch, no resume); the rows are the question and the results the answer,
so the whole file (≤ `BATCH_MAX_ROWS` rows) is checked and answered in one request.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govtrust.core.ingest.readers import cell_text, header_key
from govtrust.core.masking import mask_id_number
from govtrust.core.validators import check_id_number, normalise_code
from govtrust.disclosure.models import QueryPurpose

BATCH_MAX_ROWS = 1000
NAME_MAX = 50
AUTH_REF_MAX = 100
DEFAULTER_LIST = "SXBZXR"
GOVTRUST_LIST = "GOVTRUST"

# Column headers of the candidates file (Chinese, as the template has them) → field.
COLUMNS = {"姓名": "name", "身份证号码": "id_number", "用途": "purpose", "授权书编号": "authorisation_ref"}
TEMPLATE_HEADERS = list(COLUMNS)


class Verdict:
    CLEAR = "clear"  # nothing in force
    RECORDS = "records"  # credit records in force (any class, dishonesty or not)
    DISHONESTY = "dishonesty"  # dishonesty records in force
    DEFAULTER = "defaulter"  # on the judgment-defaulter (or another) list
    REVIEW = "review"  # a list entry that may be this person (court-masked number): a person must look

    LABELS = {
        CLEAR: gettext_lazy("无有效期内的失信信息"),
        RECORDS: gettext_lazy("有有效期内的信用记录（非失信）"),
        DISHONESTY: gettext_lazy("有有效期内的失信记录"),
        DEFAULTER: gettext_lazy("失信被执行人等严重失信名单"),
        REVIEW: gettext_lazy("名单疑似命中，需人工复核"),
    }

    @classmethod
    def label(cls, code: str) -> str:
        return str(cls.LABELS.get(code, code))


def purpose_code(text: str) -> str | None:
    """The purpose code for a label (公务员录用) or a code (recruitment); None when not on the fixed list."""
    text = (text or "").strip()
    for code, label in QueryPurpose.choices:
        if text in (code, str(label)):
            return str(code)
    return None


def purpose_label(code: str) -> str:
    return str(dict(QueryPurpose.choices).get(code, code))


@dataclass(frozen=True)
class Candidate:
    row: int
    name: str
    id_number: str  # normalised, check digit valid
    purpose: str  # a QueryPurpose code
    authorisation_ref: str

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    message: str


def check_candidate(
    row: int, *, name: str, id_number: str, purpose: str, authorisation_ref: str, today: datetime.date | None = None
) -> tuple[Candidate | None, list[RowProblem]]:
    """One candidate as typed: every problem of the row, or the clean candidate."""
    problems: list[RowProblem] = []
    name = " ".join((name or "").split())
    if not name:
        problems.append(RowProblem(row, "name", _("缺少姓名")))
    elif len(name) > NAME_MAX:
        problems.append(RowProblem(row, "name", _("姓名过长（最多%(n)d字）") % {"n": NAME_MAX}))
    number = normalise_code(id_number or "")
    if not number:
        problems.append(RowProblem(row, "id_number", _("缺少身份证号码")))
    else:
        check = check_id_number(number, today=today)
        if check.status == "invalid":
            problems.append(RowProblem(row, "id_number", str(check.reason)))
        elif len(number) != 18:
            problems.append(RowProblem(row, "id_number", _("请使用18位身份证号码")))
    code = purpose_code(purpose)
    if code is None:
        allowed = "、".join(str(label) for _c, label in QueryPurpose.choices)
        problems.append(
            RowProblem(
                row, "purpose", _("用途“%(p)s”不在规定范围内（%(allowed)s）") % {"p": purpose or "", "allowed": allowed}
            )
        )
    ref = " ".join((authorisation_ref or "").split())
    if not ref:
        problems.append(RowProblem(row, "authorisation_ref", _("缺少被查询人书面授权书编号")))
    elif len(ref) > AUTH_REF_MAX:
        problems.append(RowProblem(row, "authorisation_ref", _("授权书编号过长")))
    if problems:
        return None, problems
    return Candidate(row=row, name=name, id_number=number, purpose=str(code), authorisation_ref=ref), []


class RefusedBatch(Exception):
    """The whole file is refused (unreadable, wrong columns, too many rows): nothing was queried."""


def read_candidates_xlsx(stream: IO[bytes]) -> tuple[list[Candidate], list[RowProblem]]:
    """Candidates from the first sheet of an .xlsx (header row with 姓名, 身份证号码, 用途, 授权书编号)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(stream).get_sheet_by_index(0)
        rows = [[cell_text(c) for c in cells] for cells in sheet.iter_rows()]
    except Exception as exc:  # calamine raises its own error types for every kind of broken file
        raise RefusedBatch(_("无法读取文件：请上传.xlsx格式的候选人名单")) from exc
    numbered = [(i, cells) for i, cells in enumerate(rows, start=1) if any(cells)]
    if not numbered:
        raise RefusedBatch(_("文件为空"))
    header_row, header = numbered[0]
    wanted = {header_key(h): f for h, f in COLUMNS.items()}
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        column = wanted.get(header_key(text))
        if column and column not in positions:
            positions[column] = index
    missing = [h for h, f in COLUMNS.items() if f not in positions]
    if missing:
        raise RefusedBatch(_("缺少列：%(cols)s") % {"cols": "、".join(missing)})
    body = numbered[1:]
    if len(body) > BATCH_MAX_ROWS:
        raise RefusedBatch(
            _("一次最多查询%(max)d人，文件有%(n)d行：请分批提交") % {"max": BATCH_MAX_ROWS, "n": len(body)}
        )
    if not body:
        raise RefusedBatch(_("文件中没有候选人"))

    def cell(cells: list[str], column: str) -> str:
        index = positions[column]
        return cells[index] if index < len(cells) else ""

    candidates: list[Candidate] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for row, cells in body:
        candidate, row_problems = check_candidate(
            row,
            name=cell(cells, "name"),
            id_number=cell(cells, "id_number"),
            purpose=cell(cells, "purpose"),
            authorisation_ref=cell(cells, "authorisation_ref"),
        )
        if candidate is not None:
            key = (candidate.id_number, candidate.purpose)
            if key in seen:
                row_problems.append(
                    RowProblem(row, "id_number", _("与第%(row)d行重复（同一人、同一用途）") % {"row": seen[key]})
                )
                candidate = None
            else:
                seen[key] = row
        problems.extend(row_problems)
        if candidate is not None:
            candidates.append(candidate)
    return candidates, problems


# --- findings -------------------------------------------------------------------------------------


@dataclass
class Findings:
    """What the platform holds about one natural person now."""

    civil_servant_pks: list[int] = field(default_factory=list)
    person_pk: int | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    list_hits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict_for(self.records, self.list_hits)


def verdict_for(records: Sequence[dict[str, Any]], list_hits: Sequence[dict[str, Any]]) -> str:
    if any(h.get("decision") == "intercept" for h in list_hits):
        return Verdict.DEFAULTER
    if any(r.get("dishonesty") for r in records):
        return Verdict.DISHONESTY
    if any(h.get("decision") == "review" for h in list_hits):
        return Verdict.REVIEW
    if records:
        return Verdict.RECORDS
    return Verdict.CLEAR


def record_summary(record: Any) -> dict[str, Any]:
    """The part of a credit record a personnel query shows (JSON-able: results are stored as a snapshot)."""
    return {
        "number": record.number,
        "class": record.record_class,
        "class_label": str(record.get_record_class_display()),
        "severity": record.severity,
        "severity_label": str(record.get_severity_display()) if record.severity else "",
        "dishonesty": bool(record.is_dishonesty),
        "document_number": record.document_number,
        "authority_name": record.authority_name,
        "decision_date": record.decision_date.isoformat(),
        "publicity_max_end": record.publicity_max_end.isoformat() if record.publicity_max_end else "",
        "content": record.content,
    }


def records_in_force_q() -> dict[str, Any]:
    from govtrust.records.models import RecordStatus

    # In force and not covered by a fault-tolerance ruling: what counts against a subject now.
    return {"status": RecordStatus.IN_FORCE, "covered_by__isnull": True}


def findings_for(candidates: Sequence[Candidate]) -> list[Findings]:
    """Match each candidate by ID number against civil servants, persons, their records and the lists.

    Reads personal data: callers write the access log (services_queries).
    """
    from govtrust.records.models import CreditRecord
    from govtrust.registry.models import CivilServant, Person, ProtectedIdentity
    from govtrust.screening.services import Subject, screen_subjects

    hashes = {c.id_number: ProtectedIdentity.hash_id_number(c.id_number) for c in candidates}
    by_hash_cs: dict[str, list[int]] = {}
    for pk, h in CivilServant.objects.filter(id_number_hash__in=set(hashes.values())).values_list(
        "pk", "id_number_hash"
    ):
        by_hash_cs.setdefault(h, []).append(pk)
    by_hash_person = dict(
        Person.objects.filter(id_number_hash__in=set(hashes.values())).values_list("id_number_hash", "pk")
    )
    out: list[Findings] = []
    for c in candidates:
        h = hashes[c.id_number]
        out.append(Findings(civil_servant_pks=sorted(by_hash_cs.get(h, [])), person_pk=by_hash_person.get(h)))
    cs_pks = {pk for f in out for pk in f.civil_servant_pks}
    person_pks = {f.person_pk for f in out if f.person_pk is not None}
    by_cs: dict[int, list[Any]] = {}
    by_person: dict[int, list[Any]] = {}
    if cs_pks or person_pks:
        from django.db.models import Q

        rows = (
            CreditRecord.objects.filter(Q(civil_servant_id__in=cs_pks) | Q(person_id__in=person_pks))
            .filter(**records_in_force_q())
            .order_by("-decision_date", "-pk")
        )
        for record in rows:
            if record.civil_servant_id:
                by_cs.setdefault(record.civil_servant_id, []).append(record)
            elif record.person_id:
                by_person.setdefault(record.person_id, []).append(record)
    for f in out:
        records = [r for pk in f.civil_servant_pks for r in by_cs.get(pk, [])]
        if f.person_pk is not None:
            records += by_person.get(f.person_pk, [])
        f.records = [record_summary(r) for r in records]
    screened = screen_subjects([Subject(ref=str(c.row), name=c.name, id_number=c.id_number) for c in candidates])
    hit_keys = {h.entry_key for s in screened for h in s.result.hits}
    details = _entry_details(hit_keys)
    for f, s in zip(out, screened, strict=True):
        f.list_hits = [
            {
                "list": h.list_code,
                "name": h.name,
                "decision": h.decision,
                "score": h.score,
                **details.get(h.entry_key, {}),
            }
            for h in s.result.hits
            # The GOVTRUST list mirrors this platform's own records, which are reported above already.
            if h.list_code != GOVTRUST_LIST
        ]
    return out


def _entry_details(keys: Iterable[int]) -> dict[int, dict[str, str]]:
    from govtrust.screening.models import WatchlistEntry

    keys = list(keys)
    if not keys:
        return {}
    rows = WatchlistEntry.objects.filter(pk__in=keys).select_related("watchlist")
    return {
        e.pk: {
            "list_name": e.watchlist.name,
            "court": e.court,
            "case_number": e.case_number,
            "listed_on": e.listed_on.isoformat() if e.listed_on else "",
            "reason": e.reason or e.conduct,
        }
        for e in rows
    }


# --- the honours check (评优评先) -----------------------------------------------------------------

# 国发〔2016〕76号《国务院关于加强政务诚信建设的指导意见》 (dated 2016-12-22) and the provincial rules built on it:
# the consequences of a 政务失信记录 include 限制评优评先 (china-credit-facts.md §1; the text below is a summary,
# not a quotation). The honours bar itself is the sanctions app's confirmed measure 取消参加各类荣誉评选资格.
HONOURS_BASIS = gettext_lazy(
    "国发〔2016〕76号《国务院关于加强政务诚信建设的指导意见》及本省政务失信记录管理规定：存在政务失信记录的，限制评优评先（要旨）"
)
HONOURS_BASIS_SINCE = datetime.date(2016, 12, 22)


@dataclass
class HonoursVerdict:
    eligible: bool
    reasons: list[str]
    records: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    list_hits: list[dict[str, Any]]
    incentives: list[dict[str, Any]]
    basis: str = ""

    def __post_init__(self) -> None:
        self.basis = self.basis or str(HONOURS_BASIS)


def honours_verdict(
    *,
    records: Sequence[dict[str, Any]],
    measures: Sequence[dict[str, Any]],
    barred: bool,
    list_hits: Sequence[dict[str, Any]] = (),
    incentives: Sequence[dict[str, Any]] = (),
) -> HonoursVerdict:
    """Pure rule: not eligible while an honours bar, a dishonesty record or a serious-dishonesty list entry
    is in force. Non-dishonesty records (commendations) do not count against."""
    reasons: list[str] = []
    if barred:
        reasons.append(_("正在执行“取消参加各类荣誉评选资格”惩戒措施"))
    dishonesty = [r for r in records if r.get("dishonesty")]
    for r in dishonesty:
        reasons.append(
            _("有效期内的失信记录：%(cls)s %(doc)s（%(number)s）")
            % {"cls": r["class_label"], "doc": r["document_number"], "number": r["number"]}
        )
    for m in measures:
        if not (barred and m.get("code") == "honours_ineligible"):
            reasons.append(
                _("正在执行的惩戒措施：%(label)s（案件%(case)s）") % {"label": m["label"], "case": m["case"]}
            )
    for h in list_hits:
        if h.get("decision") == "intercept":
            reasons.append(_("列入%(list)s") % {"list": h.get("list_name") or h.get("list")})
        elif h.get("decision") == "review":
            reasons.append(_("疑似列入%(list)s，需人工复核") % {"list": h.get("list_name") or h.get("list")})
    blocking = barred or bool(dishonesty) or any(h.get("decision") == "intercept" for h in list_hits)
    if any(h.get("decision") == "review" for h in list_hits) and not blocking:
        blocking = True  # not eligible until a person has cleared the possible hit
    if not reasons:
        reasons.append(_("无有效期内的失信记录、惩戒措施或严重失信名单记录"))
    return HonoursVerdict(
        eligible=not blocking,
        reasons=reasons,
        records=list(records),
        measures=list(measures),
        list_hits=list(list_hits),
        incentives=list(incentives),
    )
