"""The matcher's index on disk: snapshots saved and mapped back, shared by processes, plus a delta."""

from __future__ import annotations

import hashlib
import json
import mmap
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from govtrust.screening import index
from govtrust.screening.matching import Entry, Matcher, Query, load_rules
from govtrust.screening.models import IndexSnapshot, WatchlistEntry
from govtrust.screening.services import Subject, screen_subjects, watchlist_entry_delist

from .helpers import make_id, make_uscc, run, write_csv

RULES = load_rules()
LIST_HEADER = ["name", "uscc", "id_number", "region", "reason", "listed_on", "delisted_on"]
SYSTEM = type("Actor", (), {"username": "test", "is_authenticated": False})()
SRC = Path(__file__).resolve().parents[2] / "src"


def h(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def mapped(array: np.ndarray) -> bool:
    """Backed by a file map (shared pages), not by memory of this process."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    return base is not None


def sample_entries() -> list[Entry]:
    rng = random.Random(7)
    trades = ["华夏", "恒通", "宏达", "金盛", "天瑞", "永兴", "嘉信", "紫金"]
    industries = ["建设工程", "电子科技", "物流", "商贸", "园林绿化"]
    entries = []
    for i in range(300):
        name = rng.choice(["南京", "苏州", "", "江苏"]) + rng.choice(trades) + rng.choice(industries) + "有限公司"
        if i % 7 == 0:
            name += "鼓楼分公司"
        entries.append(Entry(i + 1, rng.choice(["SXBZXR", "TJ_YZSX"]), "organisation", name,
                             uscc=make_uscc(i) if i % 3 == 0 else ""))  # fmt: skip
    for i in range(200):
        number = make_id(i)
        masked = number[:4] + "*" * 10 + number[-4:] if i % 2 else ""
        entries.append(Entry(1000 + i, "SXBZXR", "person", f"王{'伟芳娜'[i % 3]}", id_hash=h(number), id_masked=masked))
    entries.append(Entry(5000, "SXBZXR", "organisation", "<script>'; DROP TABLE x;--有限公司\x00"))
    return entries


def sample_queries() -> list[Query]:
    queries = [Query(name=e.name) for e in sample_entries()[:300:5]]
    queries += [Query(name="南京華夏建設工程有限責任公司"), Query(name="苏州天瑞物流有限公司鼓楼分公司")]
    queries += [Query(uscc=make_uscc(i)) for i in range(0, 30, 3)]
    queries += [Query(name="王伟", id_number=make_id(i), id_hash=h(make_id(i))) for i in range(0, 20)]
    queries += [Query(name="王芳", id_number=make_id(i)[:4] + "*" * 10 + make_id(i)[-4:]) for i in range(0, 20)]
    return queries


def same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert (a.decision, a.score, a.rules_version) == (b.decision, b.score, b.rules_version)
    assert [(x.entry_key, x.list_code, x.name, x.uscc, x.score, x.decision, x.explanation_dict()) for x in a.hits] == [
        (x.entry_key, x.list_code, x.name, x.uscc, x.score, x.decision, x.explanation_dict()) for x in b.hits
    ]


def test_a_saved_and_mapped_snapshot_answers_exactly_as_the_matcher_in_memory(tmp_path):
    built = Matcher.build(sample_entries(), rules=RULES)
    built.save(tmp_path / "snap")
    loaded = Matcher.load(tmp_path / "snap")
    assert mapped(loaded.keys) and mapped(loaded.names.postings) and len(loaded) == len(built)
    assert loaded.entry(0) == built.entry(0)
    decisions = set()
    for query in sample_queries():
        same(built.check(query), loaded.check(query))
        same(built.check(query, exclude={1, 1001}), loaded.check(query, exclude={1, 1001}))
        decisions.add(built.check(query).decision)
    assert decisions == {"intercept", "review", "pass"}  # the comparison covered every kind of answer


def test_the_hostile_name_survives_the_round_trip_without_its_nul(tmp_path):
    Matcher.build(sample_entries(), rules=RULES).save(tmp_path / "snap")
    loaded = Matcher.load(tmp_path / "snap")
    assert loaded.entry(len(loaded) - 1).name == "<script>'; DROP TABLE x;--有限公司"


def test_a_snapshot_of_another_format_is_refused(tmp_path):
    Matcher.build(sample_entries()[:3], rules=RULES).save(tmp_path / "snap")
    meta = json.loads((tmp_path / "snap" / "meta.json").read_text())
    (tmp_path / "snap" / "meta.json").write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ValueError):
        Matcher.load(tmp_path / "snap")


def test_a_second_process_maps_the_snapshot_and_gets_the_same_answers(tmp_path):
    built = Matcher.build(sample_entries(), rules=RULES)
    built.save(tmp_path / "snap")
    queries = [
        {"name": q.name, "uscc": q.uscc, "id_number": q.id_number, "id_hash": q.id_hash} for q in sample_queries()
    ]
    (tmp_path / "queries.json").write_text(json.dumps(queries, ensure_ascii=False))
    script = (
        "import json, sys, numpy as np\n"
        "from govtrust.screening.matching import Matcher, Query\n"
        "m = Matcher.load(sys.argv[1])\n"
        "import mmap\n"
        "base = m.names.postings\n"
        "while base is not None and not isinstance(base, mmap.mmap): base = getattr(base, 'base', None)\n"
        "assert base is not None\n"
        "qs = json.load(open(sys.argv[2], encoding='utf-8'))\n"
        "out = [[m.check(Query(**q)).decision, [h.entry_key for h in m.check(Query(**q)).hits]] for q in qs]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "snap"), str(tmp_path / "queries.json")],
        capture_output=True, text=True, check=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    theirs = json.loads(done.stdout)
    ours = [[built.check(q).decision, [x.entry_key for x in built.check(q).hits]] for q in sample_queries()]
    assert theirs == ours


def load(tmp_path, rows, *, name="list.csv"):  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / name, LIST_HEADER, rows)
    status, out, _err = run("watchlist", "import", str(path), "--list", "SXBZXR")
    assert status == 0, out


@pytest.mark.django_db
def test_the_first_check_builds_and_publishes_a_snapshot_that_later_checks_reuse(tmp_path, settings):
    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    assert not IndexSnapshot.objects.exists()
    [first] = screen_subjects([Subject(ref="1", uscc=make_uscc(1))])
    assert first.result.decision == "intercept"
    snapshot = IndexSnapshot.objects.get()
    assert snapshot.entries == 1 and (Path(settings.SCREENING_INDEX_DIR) / snapshot.name / "key.npy").exists()
    screen_subjects([Subject(ref="2", name="南京华夏建设工程有限公司")])
    assert IndexSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_an_entry_added_after_the_snapshot_matches_through_the_delta_without_a_rebuild(tmp_path):
    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    index.snapshot_build()
    before = IndexSnapshot.objects.get()
    load(tmp_path, [["苏州恒通电子科技有限公司", make_uscc(2), "", "苏州", "", "2025-02-01", ""]], name="more.csv")
    [by_code, by_name] = screen_subjects(
        [Subject(ref="1", uscc=make_uscc(2)), Subject(ref="2", name="蘇州恒通電子科技有限責任公司")]
    )
    assert by_code.result.decision == "intercept" and by_name.result.decision == "review"
    assert list(IndexSnapshot.objects.all()) == [before]  # no rebuild
    matcher, _versions = index.current_matcher()
    assert matcher.snapshot == before.name and len(matcher.delta_keys) >= 1


@pytest.mark.django_db
def test_an_entry_changed_after_the_snapshot_answers_with_its_new_name_only(tmp_path):
    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    index.snapshot_build()
    entry = WatchlistEntry.objects.get()
    entry.name = "无锡宏达物流有限公司"
    entry.save()
    [old, new] = screen_subjects([Subject(ref="1", name="南京华夏建设工程有限公司"),
                                  Subject(ref="2", name="无锡宏达物流有限公司")])  # fmt: skip
    assert old.result.decision == "pass" and new.result.decision == "review"


@pytest.mark.django_db
def test_a_delisted_entry_stops_matching_at_once_though_the_snapshot_still_holds_it(tmp_path):
    number = make_id(3)
    load(
        tmp_path,
        [
            ["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""],
            ["王伟", "", number, "", "", "2025-01-01", ""],
        ],
    )
    snapshot = index.snapshot_build()
    company = WatchlistEntry.objects.get(subject_type="organisation")
    person = WatchlistEntry.objects.get(subject_type="person")
    watchlist_entry_delist(actor=SYSTEM, entry=company, reason="已履行")
    watchlist_entry_delist(actor=SYSTEM, entry=person, reason="已履行")
    base = index.Matcher.load(Path(index.index_dir()) / snapshot.name)
    assert base.check(Query(uscc=make_uscc(1))).decision == "intercept"  # still in the snapshot
    results = screen_subjects(
        [Subject(ref="1", uscc=make_uscc(1)), Subject(ref="2", name="南京华夏建设工程有限公司"),
         Subject(ref="3", name="王伟", id_number=number)]
    )  # fmt: skip
    assert [r.result.decision for r in results] == ["pass", "pass", "pass"]
    assert list(IndexSnapshot.objects.all()) == [snapshot]


@pytest.mark.django_db
def test_a_rebuild_publishes_a_new_snapshot_and_workers_switch_to_it(tmp_path, settings):
    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    first = index.snapshot_build()
    matcher, _ = index.current_matcher()
    assert matcher.snapshot == first.name
    status, out, _err = run("watchlist", "index")
    assert status == 0 and "\t1\t" in out
    second = IndexSnapshot.objects.order_by("-pk").first()
    assert second is not None and second != first
    matcher, _ = index.current_matcher()
    assert matcher.snapshot == second.name
    assert matcher.check(Query(uscc=make_uscc(1))).decision == "intercept"


@pytest.mark.django_db
def test_a_snapshot_whose_files_are_gone_is_rebuilt_rather_than_trusted(tmp_path, settings):
    import shutil

    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    first = index.snapshot_build()
    shutil.rmtree(Path(settings.SCREENING_INDEX_DIR) / first.name)
    [result] = screen_subjects([Subject(ref="1", uscc=make_uscc(1))])
    assert result.result.decision == "intercept"
    assert IndexSnapshot.objects.count() == 2


@pytest.mark.django_db
def test_the_sweep_step_folds_changes_into_a_new_snapshot_and_skips_when_nothing_changed(tmp_path):
    import datetime

    from django.utils import timezone

    from govtrust.screening.sweeps import rebuild_index

    load(tmp_path, [["南京华夏建设工程有限公司", make_uscc(1), "", "南京", "", "2025-01-01", ""]])
    outcome = rebuild_index(datetime.date(2026, 6, 1))
    assert outcome["rebuilt"] is True
    # Nothing changed since (entries older than the margin): no rebuild.
    WatchlistEntry.objects.update(updated_at=timezone.now() - datetime.timedelta(days=1))
    IndexSnapshot.objects.update(built_from=timezone.now())
    assert rebuild_index(datetime.date(2026, 6, 2))["rebuilt"] is False
