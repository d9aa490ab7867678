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
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from govtrust.screening.matching import identifiers as ids
from govtrust.screening.matching.index import GramIndex, KeyTable, Strings, StringsBuilder, digest64, grams
from govtrust.screening.matching.normalise import (
    OrgName,
    legal_families_differ,
    legal_forms_compatible,
    parse_org_name,
    person_name_key,
    regions_compatible,
)

_STAR = ord("*")  # a masked position in an ID number

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
    legal_family_conflict_factor: float = 0.5
    trade_name_chars: int = 4
    trade_name_conflict_factor: float = 0.5
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
        return {k: {"score": v.score, "detail": v.detail} for k, v in self.explanation.items()}

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


Row = tuple[int, str, str, str, str, str, str, str, str]
"""An entry as a plain tuple (what the database build streams): key, list_code, kind, name, uscc, org_code,
reg_number, id_hash, id_masked — the fields of `Entry`, in order."""

STRING_COLUMNS = ("name", "uscc", "org_code", "reg_number", "id_hash", "id_masked", "core")
TABLES = ("uscc", "org_code", "reg_number", "id_hash", "person_name")
FORMAT = 1


class _Builder:
    """Streams rows into columnar arrays: no per-entry Python object survives the build."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.keys = array("q")
        self.lists = array("H")
        self.kinds = array("B")
        self.list_codes: dict[str, int] = {}
        self.columns = {c: StringsBuilder() for c in STRING_COLUMNS}
        self.tables = {t: (array("Q"), array("i")) for t in TABLES}
        self.gram_keys = array("q")
        self.gram_ordinals = array("i")
        self.count = 0

    def add(self, rows: Iterable[Row]) -> None:
        parse = parse_org_name.__wrapped__  # type: ignore[attr-defined]  # no cache churn over millions
        min_core = self.rules.min_core_length
        codes = self.list_codes
        texts: dict[str, list[str]] = {c: [] for c in STRING_COLUMNS}
        names, usccs, org_codes, regs = texts["name"], texts["uscc"], texts["org_code"], texts["reg_number"]
        hashes, masks, cores = texts["id_hash"], texts["id_masked"], texts["core"]
        tables = {t: (keys.append, ordinals.append) for t, (keys, ordinals) in self.tables.items()}
        gram_key, gram_ordinal = self.gram_keys.append, self.gram_ordinals.append
        keys, lists, kinds = self.keys.append, self.lists.append, self.kinds.append
        o = self.count
        for key, code, kind, name, uscc, org_code, reg, id_hash, id_masked in rows:
            keys(key)
            index = codes.get(code)
            if index is None:
                index = codes[code] = len(codes)
            lists(index)
            person = kind == "person"
            kinds(person)
            org = org_code or (uscc[8:17] if len(uscc) == 18 else "")
            names.append(name)
            usccs.append(uscc)
            org_codes.append(org)
            regs.append(reg)
            hashes.append(id_hash)
            masks.append(id_masked)
            for table, value in (("uscc", uscc), ("org_code", org), ("reg_number", reg), ("id_hash", id_hash)):
                if value:
                    add_key, add_ordinal = tables[table]
                    add_key(digest64(value))
                    add_ordinal(o)
            core = ""
            if person:
                if id_masked:
                    name_key = person_name_key(name)
                    if name_key:
                        add_key, add_ordinal = tables["person_name"]
                        add_key(digest64(name_key))
                        add_ordinal(o)
            else:
                core = parse(name).core
                if len(core) >= min_core:
                    for gram in grams(core):
                        gram_key(gram)
                        gram_ordinal(o)
            cores.append(core)
            o += 1
        self.count = o
        for column, values in texts.items():
            self.columns[column].extend(values)

    def finish(self) -> dict[str, Any]:
        arrays: dict[str, Any] = {
            "key": np.frombuffer(self.keys, dtype=np.int64).copy(),
            "list": np.frombuffer(self.lists, dtype=np.uint16).copy(),
            "kind": np.frombuffer(self.kinds, dtype=np.uint8).copy(),
        }
        for column, builder in self.columns.items():
            strings = builder.finish()
            arrays[f"{column}.buf"], arrays[f"{column}.off"] = strings.buf, strings.off
        for table, (keys, ordinals) in self.tables.items():
            built = KeyTable.build(keys, ordinals)
            arrays[f"{table}.keys"], arrays[f"{table}.ordinals"] = built.keys, built.ordinals
        self.tables = {}
        gram_index = GramIndex.build(self.gram_keys, self.gram_ordinals)
        self.gram_keys, self.gram_ordinals = array("q"), array("i")
        arrays["grams.keys"], arrays["grams.offsets"] = gram_index.gram_keys, gram_index.offsets
        arrays["grams.postings"] = gram_index.postings
        return arrays


def _rows(entries: Iterable[Entry]) -> Iterator[Row]:
    for e in entries:
        yield (e.key, e.list_code, e.kind, e.name, e.uscc, e.org_code, e.reg_number, e.id_hash, e.id_masked)


class Matcher:
    """The index of a set of entries in columnar arrays (see `index.py`), and the check.

    `Matcher.build(entries)` builds it in memory; `save(directory)` writes one .npy per array and a
    meta.json; `Matcher.load(directory)` maps them back read-only (`mmap_mode="r"`), so every process that
    loads the same snapshot shares one copy through the page cache.
    """

    def __init__(self, entries: Iterable[Entry] = (), *, rules: Rules) -> None:
        builder = _Builder(rules)
        for chunk in _chunks(_rows(entries), 50_000):
            builder.add(chunk)
        self._attach(builder.finish(), list(builder.list_codes), rules)

    def _attach(self, arrays: dict[str, Any], list_codes: list[str], rules: Rules) -> None:
        self.rules = rules
        self.arrays = arrays
        self.list_codes = list_codes
        self.keys = arrays["key"]
        self.lists = arrays["list"]
        self.kinds = arrays["kind"]
        (self._name, self._uscc, self._org_code, self._reg_number, self._id_hash, self._id_masked, self._core) = (
            Strings(arrays[f"{column}.buf"], arrays[f"{column}.off"]) for column in STRING_COLUMNS
        )
        self.by_uscc, self.by_org_code, self.by_reg, self.by_id_hash, self.by_person_name = (
            KeyTable(arrays[f"{t}.keys"], arrays[f"{t}.ordinals"]) for t in TABLES
        )
        self.names = GramIndex(arrays["grams.keys"], arrays["grams.offsets"], arrays["grams.postings"])

    @classmethod
    def build(cls, entries: Iterable[Entry], *, rules: Rules | None = None) -> Matcher:
        return cls(entries, rules=rules or load_rules())

    @classmethod
    def build_from_rows(cls, chunks: Iterable[list[Row]], *, rules: Rules | None = None) -> Matcher:
        """Build from chunks of plain tuples (`Row`), e.g. a database cursor read page by page."""
        rules = rules or load_rules()
        builder = _Builder(rules)
        for chunk in chunks:
            builder.add(chunk)
        matcher = cls.__new__(cls)
        matcher._attach(builder.finish(), list(builder.list_codes), rules)
        return matcher

    # --- snapshots ------------------------------------------------------------------------------------

    def save(self, directory: Path | str, *, meta: dict[str, Any] | None = None) -> None:
        """Write the arrays (uncompressed .npy, mappable) and meta.json into `directory` (created)."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name, values in self.arrays.items():
            np.save(target / f"{name}.npy", np.ascontiguousarray(values), allow_pickle=False)
        info = {
            "format": FORMAT,
            "entries": len(self),
            "list_codes": self.list_codes,
            "rules": asdict(self.rules),
            "arrays": sorted(self.arrays),
            **(meta or {}),
        }
        (target / "meta.json").write_text(json.dumps(info, ensure_ascii=False, default=str), encoding="utf-8")

    @staticmethod
    def read_meta(directory: Path | str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((Path(directory) / "meta.json").read_text(encoding="utf-8"))
        return data

    @classmethod
    def load(cls, directory: Path | str, *, rules: Rules | None = None, mmap: bool = True) -> Matcher:
        """Map a saved snapshot (read-only). `rules`: those to check with (default: the saved ones)."""
        source = Path(directory)
        meta = cls.read_meta(source)
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown snapshot format {meta.get('format')!r}")
        # Plain ndarray views of the maps: np.memmap's Python-level __getitem__ costs ~5 µs per access, and a
        # check makes hundreds. The views keep the maps (and so the shared pages) alive.
        arrays = {
            name: np.load(source / f"{name}.npy", mmap_mode="r" if mmap else None, allow_pickle=False).view(np.ndarray)
            for name in meta["arrays"]
        }
        matcher = cls.__new__(cls)
        matcher._attach(arrays, list(meta["list_codes"]), rules or Rules(**meta["rules"]))
        return matcher

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.arrays.values()))

    def entry(self, ordinal: int) -> Entry:
        return Entry(
            int(self.keys[ordinal]),
            self.list_codes[int(self.lists[ordinal])],
            "person" if self.kinds[ordinal] else "organisation",
            self._name[ordinal],
            self._uscc[ordinal],
            self._org_code[ordinal],
            self._reg_number[ordinal],
            self._id_hash[ordinal],
            self._id_masked[ordinal],
        )

    # --- the check -----------------------------------------------------------------------------------

    def check(
        self, query: Query, *, exclude: Collection[int] = (), alive: Callable[[int], bool] | None = None
    ) -> Result:
        """Screen one subject. `exclude`: entry keys a human has cleared for this subject (false positives).
        `alive`: optional filter on entry keys (the caller's current-status check)."""
        hits: dict[int, Hit] = {}
        keys = self.keys

        def add(ordinal: int, hit: Hit) -> None:
            key = int(keys[ordinal])
            if key in exclude or (alive is not None and not alive(key)):
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
                self._names(query, org_id, add)
        return self.rank(list(hits.values()))

    def rank(self, hits: list[Hit]) -> Result:
        """The result of a set of hits: the most severe first, at most `max_hits`, passes dropped."""
        ranked = sorted(hits, key=lambda h: (-SEVERITY[h.decision], -h.score, h.entry_key))
        ranked = [h for h in ranked if h.decision != "pass"][: self.rules.max_hits]
        decision: Decision = ranked[0].decision if ranked else "pass"
        score = ranked[0].score if ranked else 0.0
        return Result(decision=decision, score=score, hits=ranked, rules_version=self.rules.version)

    def _hit(self, ordinal: int, score: float, decision: Decision, explanation: dict[str, Feature]) -> Hit:
        return Hit(
            int(self.keys[ordinal]),
            self.list_codes[int(self.lists[ordinal])],
            self._name[ordinal],
            self._uscc[ordinal],
            _round(score),
            decision,
            explanation,
        )

    def _person(self, query: Query, pid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        if pid.kind == "id_number" and query.id_hash:
            for i in self.by_id_hash.get(query.id_hash):
                if self._id_hash[i] == query.id_hash:
                    decision: Decision = "intercept" if pid.valid else "review"
                    detail = "身份证号码一致" if pid.valid else "身份证号码一致（校验位不符）"
                    add(i, self._hit(i, 1.0, decision, {"identifier": Feature(1.0, detail)}))
        name_key = person_name_key(query.name)
        if not name_key:
            return  # a masked ID is only ever compared together with the exact name
        # A common name is listed thousands of times: compare the masked numbers of all of them in one
        # vectorised step (ids.mask_agreement, row-wise), then look closer at the few that agree.
        wanted = np.frombuffer(pid.value.encode("ascii", "replace"), dtype=np.uint8)
        masks, ordinals = self._id_masked.of_width(self.by_person_name.get_array(name_key), len(wanted))
        revealed = (masks != _STAR) & (wanted != _STAR)
        shared_counts = revealed.sum(axis=1)
        agree = ~(revealed & (masks != wanted)).any(axis=1) & (shared_counts >= self.rules.masked_min_revealed)
        for i, shared in zip(ordinals[agree].tolist(), shared_counts[agree].tolist(), strict=True):
            if person_name_key(self._name[i]) != name_key:
                continue  # another name with the same 64-bit key
            entry_masked = self._id_masked[i]
            if pid.kind == "id_number" and pid.valid and shared == sum(c != "*" for c in entry_masked):
                entry_hash = self._id_hash[i]
                if entry_hash and entry_hash != query.id_hash:
                    continue  # the entry's full number is known and differs: not this person
                detail = f"身份证号码与公布的脱敏号码相符（{shared}位一致），姓名一致"
                add(i, self._hit(i, 1.0, "intercept", {"identifier": Feature(1.0, detail)}))
            elif pid.kind == "masked_id":
                detail = f"脱敏身份证号码相容（{shared}位一致），姓名一致，需人工复核"
                add(i, self._hit(i, 0.9, "review", {"identifier": Feature(0.9, detail)}))

    def _organisation_identifier(self, oid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        found: list[tuple[int, str]] = []
        if oid.kind == "uscc":
            found += [(i, "统一社会信用代码一致") for i in self.by_uscc.get(oid.value) if self._uscc[i] == oid.value]
        if oid.org_code:
            found += [
                (i, "组织机构代码一致") for i in self.by_org_code.get(oid.org_code) if self._org_code[i] == oid.org_code
            ]
        if oid.kind == "reg_number":
            found += [(i, "注册号一致") for i in self.by_reg.get(oid.value) if self._reg_number[i] == oid.value]
        for i, detail in found:
            if oid.valid:
                add(i, self._hit(i, 1.0, "intercept", {"identifier": Feature(1.0, detail)}))
            else:
                add(i, self._hit(i, 0.9, "review", {"identifier": Feature(0.9, detail + "（校验位不符，需人工复核）")}))

    def _names(self, query: Query, oid: ids.Identifier, add: Callable[[int, Hit], None]) -> None:
        rules = self.rules
        q = parse_org_name(query.name)
        if len(q.core) < rules.min_core_length:
            return
        candidates = self.names.candidates(
            q.core, budget=rules.posting_budget, min_fraction=rules.min_gram_fraction, limit=rules.candidate_limit
        )
        cores = self._core.take([o for o, _shared in candidates])
        # Penalties only lower a score, so candidates whose cores are below the threshold cannot be a hit:
        # one vectorised pass (rapidfuzz, C++) keeps the few worth explaining.
        strong = process.extract(
            q.core, cores, scorer=Indel.normalized_similarity, score_cutoff=rules.review_threshold, limit=None
        )
        for _core, _similarity, position in strong:
            ordinal = candidates[position][0]
            # The entry's features again from its name (the same pure parse that indexed its core).
            parsed = parse_org_name(self._name[ordinal])
            entry_uscc = self._uscc[ordinal]
            score, explanation = score_names(q, parsed, rules)
            if oid.kind == "uscc" and oid.valid and entry_uscc and entry_uscc != oid.value:
                score *= rules.uscc_conflict_factor
                explanation["identifier"] = Feature(0.0, "统一社会信用代码不同")
            decision: Decision = "review" if score >= rules.review_threshold else "pass"
            add(ordinal, self._hit(ordinal, score, decision, explanation))


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


NUMERALS = frozenset("0123456789零〇一二三四五六七八九十百千万第")


def core_conflict(a: str, b: str, trade_chars: int) -> str:
    """Why two similar cores still name other subjects, or "": a changed character within the first
    `trade_chars` characters (the 字号 comes first after the regions, and two registered names differing in
    it are two subjects: 华夏/华厦, 小米奇/小米), or a number that differs anywhere (第一/第二医院,
    四局/三局, 二期基金: numbers tell siblings apart)."""
    if a == b:
        return ""
    edits = [op for op in Levenshtein.opcodes(a, b) if op.tag != "equal"]
    if any(op.src_start < trade_chars or op.dest_start < trade_chars for op in edits):
        return "字号不同"
    if any(ch in NUMERALS for op in edits for ch in a[op.src_start : op.src_end] + b[op.dest_start : op.dest_end]):
        return "名称中的序号或数字不同"
    return ""


def score_names(q: OrgName, e: OrgName, rules: Rules) -> tuple[float, dict[str, Feature]]:
    """Score two parsed organisation names; the explanation has one entry per feature."""
    similarity = Indel.normalized_similarity(q.core, e.core)
    score = similarity
    detail = (
        f"字号及行业一致“{q.core}”" if q.core == e.core else f"字号及行业“{q.core}”与“{e.core}”相似度{similarity:.2f}"
    )
    conflict = core_conflict(q.core, e.core, rules.trade_name_chars)
    if conflict:
        score *= rules.trade_name_conflict_factor
        detail += f"（{conflict}）"
    explanation = {"core_name": Feature(_round(similarity), detail)}
    if regions_compatible(q.regions, e.regions):
        explanation["region"] = Feature(1.0, "地区相符" if q.regions and e.regions else "一方未标地区")
    else:
        score *= rules.region_conflict_factor
        explanation["region"] = Feature(0.0, "地区不同")
    if legal_forms_compatible(q.legal_form, e.legal_form):
        explanation["legal_form"] = Feature(1.0, "组织形式相符" if q.legal_form and e.legal_form else "")
    elif legal_families_differ(q.legal_form, e.legal_form):
        score *= rules.legal_family_conflict_factor
        explanation["legal_form"] = Feature(0.0, f"组织形式类别不同（{q.legal_form}／{e.legal_form}）")
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
