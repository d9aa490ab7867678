"""The matcher: identifiers first, then (organisations only) Chinese names; a decision with reasons.

    matcher = Matcher.build(entries, rules=load_rules())
    result = matcher.check(Query(name="南京華夏建設工程有限責任公司", uscc=""), exclude={42})
    result.decision  # "intercept" | "review" | "pass";  result.hits[0].explanation["core_name"].detail

Decision (per hit, the result takes the most severe):
- a valid identifier equal to an entry's (USCC, the organisation code inside it, registration number; a
  person's full ID number; a full ID fitting a court's masked ID with the exact same name) → intercept;
- a masked ID fitting a masked ID with the exact same name, an identifier failing its check digit, or a
  strong name-only match (organisations only) → review;
- otherwise pass.
Persons are matched ONLY by identifier: their names are never indexed and never compared fuzzily.

Every hit carries an explanation per feature (identifier, core_name, region, legal_form, branch) with a
score and a Chinese detail. Whether a hit's entry is still listed is NOT this module's business: the caller
re-checks every hit against the database (a delisted entry stops matching at once).

Pure code: no Django. Thresholds come from a versioned `Rules` (rules/matching.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rapidfuzz import process
from rapidfuzz.distance import Indel

from govtrust.screening.matching import identifiers as ids
from govtrust.screening.matching.index import GramIndex, KeyTable
from govtrust.screening.matching.normalise import (
    OrgName,
    legal_forms_compatible,
    parse_org_name,
    person_name_key,
    regions_compatible,
)

Decision = Literal["intercept", "review", "pass"]
SubjectKind = Literal["person", "organisation"]
SEVERITY: dict[str, int] = {"pass": 0, "review": 1, "intercept": 2}
RULES_PATH = Path(__file__).resolve().parent.parent / "rules" / "matching.json"


@dataclass(frozen=True)
class Rules:
    version: str
    review_threshold: float = 0.9
    region_conflict_factor: float = 0.5
    branch_mismatch_factor: float = 0.5
    legal_form_conflict_penalty: float = 0.1
    uscc_conflict_factor: float = 0.5
    min_core_length: int = 2
    candidate_limit: int = 50
    posting_budget: int = 10_000
    min_gram_fraction: float = 0.5
    masked_min_revealed: int = 8
    max_hits: int = 5
    effective_from: str = ""
    basis: str = ""


def load_rules(path: Path | str = RULES_PATH) -> Rules:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    known = set(Rules.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown matching rule fields: {sorted(unknown)}")
    if "version" not in data:
        raise ValueError("matching rules need a version")
    return Rules(**data)


@dataclass(frozen=True)
class Entry:
    """One listed subject as the index sees it. `key` is the caller's id (the database primary key)."""

    key: int
    list_code: str
    kind: SubjectKind
    name: str
    uscc: str = ""
    org_code: str = ""
    reg_number: str = ""
    id_hash: str = ""  # keyed hash of a full ID number (never the number itself)
    id_masked: str = ""  # the ID as published masked (3201**********1234), or the standard mask of a full one


@dataclass(frozen=True)
class Query:
    name: str = ""
    uscc: str = ""  # USCC, organisation code or registration number (the `uscc` column of a file)
    id_number: str = ""  # a person's ID number, full or masked; presence makes the query a person
    id_hash: str = ""  # keyed hash of the full ID number, computed by the caller with the same key


@dataclass(frozen=True)
class Feature:
    score: float
    detail: str


@dataclass
class Hit:
    entry_key: int
    list_code: str
    name: str
    uscc: str
    score: float
    decision: Decision
    explanation: dict[str, Feature] = field(default_factory=dict)

    def explanation_dict(self) -> dict[str, dict[str, Any]]:
        return {k: asdict(v) for k, v in self.explanation.items()}

    def explanation_text(self) -> str:
        return "；".join(f"{v.detail}" for v in self.explanation.values() if v.detail)


@dataclass
class Result:
    decision: Decision
    score: float
    hits: list[Hit]
    rules_version: str

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def _round(x: float) -> float:
    return round(float(x), 4)


class Matcher:
    def __init__(self, entries: list[Entry], *, rules: Rules) -> None:
        self.rules = rules
        self.entries = entries
        self.parsed: list[OrgName | None] = [
            parse_org_name(e.name) if e.kind == "organisation" else None for e in entries
        ]
        self.by_uscc = KeyTable((e.uscc, i) for i, e in enumerate(entries) if e.uscc)
        self.by_org_code = KeyTable(
            ((e.org_code or (e.uscc[8:17] if len(e.uscc) == 18 else "")), i) for i, e in enumerate(entries)
        )
        self.by_reg = KeyTable((e.reg_number, i) for i, e in enumerate(entries) if e.reg_number)
        self.by_id_hash = KeyTable((e.id_hash, i) for i, e in enumerate(entries) if e.id_hash)
        self.by_person_name = KeyTable(
            (person_name_key(e.name), i) for i, e in enumerate(entries) if e.kind == "person" and e.id_masked
        )
        self.names = GramIndex(
            (i, p.core) for i, p in enumerate(self.parsed) if p is not None and len(p.core) >= rules.min_core_length
        )

    @classmethod
    def build(cls, entries: Iterable[Entry], *, rules: Rules | None = None) -> Matcher:
        return cls(list(entries), rules=rules or load_rules())

    def __len__(self) -> int:
        return len(self.entries)

    # --- the check -----------------------------------------------------------------------------------

    def check(
        self, query: Query, *, exclude: Collection[int] = (), alive: Callable[[int], bool] | None = None
    ) -> Result:
        """Screen one subject. `exclude`: entry keys a human has cleared for this subject (false positives).
        `alive`: optional filter on entry keys (the caller's current-status check)."""
        hits: dict[int, Hit] = {}

        def add(ordinal: int, hit: Hit) -> None:
            entry = self.entries[ordinal]
            if entry.key in exclude or (alive is not None and not alive(entry.key)):
                return
            current = hits.get(ordinal)
            if current is None or (SEVERITY[hit.decision], hit.score) > (SEVERITY[current.decision], current.score):
                hits[ordinal] = hit

        person_id = ids.classify(query.id_number, person=True)
        if person_id.kind:
            self._person(query, person_id, add)
        else:
            org_id = ids.classify(query.uscc, person=False)
            if org_id.kind:
                self._organisation_identifier(org_id, add)
            if query.name:
                self._name(query, org_id, add)
        ranked = sorted(hits.values(), key=lambda h: (-SEVERITY[h.decision], -h.score, h.entry_key))
        ranked = [h for h in ranked if h.decision != "pass"][: self.rules.max_hits]
        decision: Decision = ranked[0].decision if ranked else "pass"
        score = ranked[0].score if ranked else 0.0
        return Result(decision=decision, score=score, hits=ranked, rules_version=self.rules.version)

    def _hit(self, ordinal: int, score: float, decision: Decision, explanation: dict[str, Feature]) -> Hit:
        e = self.entries[ordinal]
        return Hit(e.key, e.list_code, e.name, e.uscc, _round(score), decision, explanation)

    def _person(self, query: Query, pid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        if pid.kind == "id_number" and query.id_hash:
            for i in self.by_id_hash.get(query.id_hash):
                if self.entries[i].id_hash == query.id_hash:
                    decision: Decision = "intercept" if pid.valid else "review"
                    detail = "身份证号码一致" if pid.valid else "身份证号码一致（校验位不符）"
                    add(i, self._hit(i, 1.0, decision, {"identifier": Feature(1.0, detail)}))
        name_key = person_name_key(query.name)
        if not name_key:
            return  # a masked ID is only ever compared together with the exact name
        for i in self.by_person_name.get(name_key):
            entry = self.entries[i]
            if person_name_key(entry.name) != name_key:
                continue
            shared = ids.mask_agreement(pid.value, entry.id_masked)
            if shared < self.rules.masked_min_revealed:
                continue
            if pid.kind == "id_number" and pid.valid and shared == sum(c != "*" for c in entry.id_masked):
                if entry.id_hash and entry.id_hash != query.id_hash:
                    continue  # the entry's full number is known and differs: not this person
                detail = f"身份证号码与公布的脱敏号码相符（{shared}位一致），姓名一致"
                add(i, self._hit(i, 1.0, "intercept", {"identifier": Feature(1.0, detail)}))
            elif pid.kind == "masked_id":
                detail = f"脱敏身份证号码相容（{shared}位一致），姓名一致，需人工复核"
                add(i, self._hit(i, 0.9, "review", {"identifier": Feature(0.9, detail)}))

    def _organisation_identifier(self, oid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        found: list[tuple[int, str]] = []
        if oid.kind == "uscc":
            found += [
                (i, "统一社会信用代码一致") for i in self.by_uscc.get(oid.value) if self.entries[i].uscc == oid.value
            ]
        if oid.org_code:
            for i in self.by_org_code.get(oid.org_code):
                e = self.entries[i]
                if (e.org_code or e.uscc[8:17]) == oid.org_code:
                    found.append((i, "组织机构代码一致"))
        if oid.kind == "reg_number":
            found += [(i, "注册号一致") for i in self.by_reg.get(oid.value) if self.entries[i].reg_number == oid.value]
        for i, detail in found:
            if oid.valid:
                add(i, self._hit(i, 1.0, "intercept", {"identifier": Feature(1.0, detail)}))
            else:
                add(i, self._hit(i, 0.9, "review", {"identifier": Feature(0.9, detail + "（校验位不符，需人工复核）")}))

    def _name(self, query: Query, oid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        rules = self.rules
        q = parse_org_name(query.name)
        if len(q.core) < rules.min_core_length:
            return
        candidates = self.names.candidates(
            q.core, budget=rules.posting_budget, min_fraction=rules.min_gram_fraction, limit=rules.candidate_limit
        )
        cores = [self.parsed[o].core for o, _shared in candidates]  # type: ignore[union-attr]
        # Penalties only lower a score, so candidates whose cores are below the threshold cannot be a hit:
        # one vectorised pass (rapidfuzz, C++) keeps the few worth explaining.
        strong = process.extract(
            q.core, cores, scorer=Indel.normalized_similarity, score_cutoff=rules.review_threshold, limit=None
        )
        for _core, _similarity, position in strong:
            ordinal = candidates[position][0]
            entry = self.entries[ordinal]
            parsed = self.parsed[ordinal]
            assert parsed is not None
            score, explanation = score_names(q, parsed, rules)
            if oid.kind == "uscc" and oid.valid and entry.uscc and entry.uscc != oid.value:
                score *= rules.uscc_conflict_factor
                explanation["identifier"] = Feature(0.0, "统一社会信用代码不同")
            decision: Decision = "review" if score >= rules.review_threshold else "pass"
            add(ordinal, self._hit(ordinal, score, decision, explanation))


def score_names(q: OrgName, e: OrgName, rules: Rules) -> tuple[float, dict[str, Feature]]:
    """Score two parsed organisation names; the explanation has one entry per feature."""
    similarity = Indel.normalized_similarity(q.core, e.core)
    score = similarity
    detail = (
        f"字号及行业一致“{q.core}”" if q.core == e.core else f"字号及行业“{q.core}”与“{e.core}”相似度{similarity:.2f}"
    )
    explanation = {"core_name": Feature(_round(similarity), detail)}
    if regions_compatible(q.regions, e.regions):
        explanation["region"] = Feature(1.0, "地区相符" if q.regions and e.regions else "一方未标地区")
    else:
        score *= rules.region_conflict_factor
        explanation["region"] = Feature(0.0, "地区不同")
    if legal_forms_compatible(q.legal_form, e.legal_form):
        explanation["legal_form"] = Feature(1.0, "组织形式相符" if q.legal_form and e.legal_form else "")
    else:
        score -= rules.legal_form_conflict_penalty
        explanation["legal_form"] = Feature(0.0, f"组织形式不同（{q.legal_form}／{e.legal_form}）")
    if q.branch == e.branch:
        explanation["branch"] = Feature(1.0, f"同一分支机构“{q.branch}”" if q.branch else "")
    else:
        score *= rules.branch_mismatch_factor
        which = "分支机构不同" if q.branch and e.branch else "分支机构与总机构不是同一主体"
        explanation["branch"] = Feature(0.0, which)
    return max(0.0, score), explanation
