"""The change feed (GET /api/records/feed/changes) and the `records.feed` import kind that reads it back."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone
from registry.builders import SYSTEM

from govtrust.accounts import services as accounts
from govtrust.core.models import AccessLog
from govtrust.records import feed, services
from govtrust.records.models import ChangeType, CreditRecord, RecordChange, RecordStatus

from .conftest import record_kwargs

URL = "/api/records/feed/changes"
RECENT = timezone.localdate() - dt.timedelta(days=5)


def token(scopes: list[str], *, name: str = "省公共信用信息平台", rate: int = 600) -> str:
    client = accounts.api_client_create(actor=SYSTEM, name=name, scopes=scopes, rate_limit_per_minute=rate)
    return accounts.api_token_issue(actor=SYSTEM, client=client)[0]


def get(client, tok: str, since: int = 0, limit: int = 1000):  # type: ignore[no-untyped-def]
    return client.get(URL, {"since": since, "limit": limit}, HTTP_AUTHORIZATION=f"Bearer {tok}")


def lines(response) -> list[dict]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines() if line]


def make(cast, n: int, **kw):  # type: ignore[no-untyped-def]
    return services.record_create(actor=SYSTEM, **record_kwargs(cast, document_number=f"宁罚〔2025〕{n}号", **kw))


@pytest.mark.django_db
def test_every_change_is_served_in_order_with_its_type(client, cast):  # type: ignore[no-untyped-def]
    tok = token(["records.feed"])
    a = make(cast, 1, decision_date=RECENT)
    b = make(cast, 2, decision_date=RECENT, subject=cast.enterprise)
    services.record_correct(actor=SYSTEM, record=a, changes={"facts": "更正后的事实"}, reason="笔误")
    services.record_revoke(actor=SYSTEM, record=b, reason="复议撤销")
    response = get(client, tok)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    got = lines(response)
    assert [(x["number"], x["change"]) for x in got] == [
        (a.number, "created"),
        (b.number, "created"),
        (a.number, "corrected"),
        (b.number, "revoked"),
    ]
    cursors = [x["cursor"] for x in got]
    assert cursors == sorted(cursors) and len(set(cursors)) == 4
    assert int(response["X-Next-Cursor"]) == cursors[-1] and response["X-Has-More"] == "false"
    first = got[0]
    assert first["subject_uscc"] == cast.xw_edu.uscc and first["subject_kind"] == "agency"
    assert first["natural_key"] == a.natural_key and first["facts"] == "更正后的事实"  # served as it is now
    assert got[2]["change_version"] == 2 and got[3]["status"] == "revoked"
    assert got[1]["subject_uscc"] == cast.enterprise.uscc


@pytest.mark.django_db
def test_a_client_resumes_from_the_last_cursor_it_saw_without_gaps_or_duplicates(client, cast):  # type: ignore[no-untyped-def]
    tok = token(["records.feed"])
    for n in range(7):
        make(cast, n, decision_date=RECENT)
    seen: list[int] = []
    since = 0
    page = get(client, tok, since, limit=3)
    assert page["X-Has-More"] == "true"
    got = lines(page)
    seen += [x["cursor"] for x in got[:2]]  # the client "crashes" after two lines of three
    since = got[1]["cursor"]
    while True:
        page = get(client, tok, since, limit=3)
        got = lines(page)
        seen += [x["cursor"] for x in got]
        since = int(page["X-Next-Cursor"])
        if page["X-Has-More"] == "false":
            break
    make(cast, 99, decision_date=RECENT)  # a change after the end: the next poll gets exactly it
    later = lines(get(client, tok, since))
    assert len(later) == 1 and later[0]["cursor"] > max(seen)
    assert len(seen) == len(set(seen)) == 7 and seen == sorted(seen)
    assert lines(get(client, tok, later[0]["cursor"])) == []


@pytest.mark.django_db
def test_bulk_creation_and_the_sweep_enter_the_feed(client, cast):  # type: ignore[no-untyped-def]
    from govtrust.records.sweeps import records_lifecycle

    tok = token(["records.feed"])
    future = timezone.localdate() + dt.timedelta(days=3)
    drafts = []
    for n in range(3):
        data = record_kwargs(cast, document_number=f"批〔2025〕{n}号", decision_date=future if n == 0 else RECENT)
        data.pop("supplier"), data.pop("source")
        drafts.append(services.RecordDraft(**data))
    services.record_bulk_create(
        actor=SYSTEM, drafts=drafts, supplier=cast.nj_credit, batch_number="B1", source="import"
    )
    records_lifecycle(future)
    got = lines(get(client, tok))
    assert [x["change"] for x in got] == ["created", "created", "created", "in_force"]


@pytest.mark.django_db
def test_personal_records_reach_only_clients_with_the_personal_scope(client, cast):  # type: ignore[no-untyped-def]
    plain = token(["records.feed"], name="公共资源交易信用库")
    personal = token(["records.feed", "records.feed_personal"], name="执法监督平台")
    make(cast, 1, decision_date=RECENT)
    servant = make(cast, 2, decision_date=RECENT, subject=cast.servant, record_class="discipline", severity="",
                   sub_type="warning")  # fmt: skip
    make(cast, 3, decision_date=RECENT, subject=cast.person)
    response = get(client, plain)
    body = b"".join(response.streaming_content).decode()
    assert [json.loads(x)["subject_kind"] for x in body.splitlines()] == ["agency"]
    assert cast.servant.name not in body and "ID:" not in body and cast.person.name not in body
    # The cursor moves past the personal changes all the same.
    assert int(response["X-Next-Cursor"]) == RecordChange.objects.order_by("-seq").values_list("seq", flat=True)[0]
    assert not AccessLog.objects.filter(purpose="records.feed").exists()
    full = lines(get(client, personal))
    assert [x["subject_kind"] for x in full] == ["agency", "civil_servant", "person"]
    assert full[1]["number"] == servant.number and full[1]["subject_id_number"] == cast.servant.decrypt_id_number()
    assert AccessLog.objects.filter(purpose="records.feed").count() == 1


@pytest.mark.django_db
def test_missing_bad_or_unscoped_tokens_are_refused(client, cast):  # type: ignore[no-untyped-def]
    assert client.get(URL).status_code == 401
    assert (
        client.get(URL, HTTP_AUTHORIZATION="Bearer gt_abcdefgh_'; DROP TABLE records_recordchange").status_code == 401
    )
    other = token(["registry.read"])
    response = get(client, other)
    assert response.status_code == 403 and "records.feed" in response.json()["detail"]
    tok = token(["records.feed"], name="另一个客户端")
    assert client.get(URL, {"since": -1}, HTTP_AUTHORIZATION=f"Bearer {tok}").status_code == 422
    assert client.get(URL, {"limit": 999999}, HTTP_AUTHORIZATION=f"Bearer {tok}").status_code == 422


@pytest.mark.django_db
def test_a_client_over_its_rate_limit_gets_429(client, cast):  # type: ignore[no-untyped-def]
    tok = token(["records.feed"], rate=2)
    assert get(client, tok).status_code == 200
    assert get(client, tok).status_code == 200
    response = get(client, tok)
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1


@pytest.mark.django_db
def test_the_contract_is_in_the_openapi_document(client):  # type: ignore[no-untyped-def]
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"][URL]["get"]
    ok = operation["responses"]["200"]
    assert "application/x-ndjson" in ok["content"] and "X-Next-Cursor" in ok["headers"]
    assert "cursor" in ok["content"]["application/x-ndjson"]["schema"]["properties"]


# --- the sequencer under concurrent writers (PostgreSQL: real row locks) ----------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_served_after_the_ones_committed_before_it(cast):  # type: ignore[no-untyped-def]
    """Writer A inserts its change first (lower id) but commits last; a reader polling meanwhile must still
    get it later, exactly once. A reader paging by id would have skipped it.

    The writers call `record_changed` (what every service calls) without the rest of a service: the services'
    audit rows happen to serialise them through the audit chain today, the sweep's chunks do not, and the
    feed must not depend on either."""
    x, y = make(cast, 1, decision_date=RECENT), make(cast, 2, decision_date=RECENT)
    since = feed.feed_read(since=0).next_cursor
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                services.record_changed(x, ChangeType.CORRECTED)
                inserted.set()
                release.wait(20)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(20)
    seen: list[tuple[int, int]] = []
    if connection.vendor == "postgresql":  # SQLite has one writer at a time: B would wait for A
        with transaction.atomic():
            services.record_changed(y, ChangeType.CORRECTED)
        page = feed.feed_read(since=since)
        seen += [(c.seq or 0, c.pk) for c in page.changes]
        since = page.next_cursor
        assert [c.record_id for c in page.changes] == [y.pk]  # B's change, though A's has the lower id
    release.set()
    thread.join(30)
    assert not errors
    page = feed.feed_read(since=since)
    seen += [(c.seq or 0, c.pk) for c in page.changes]
    corrections = RecordChange.objects.filter(change="corrected")
    assert sorted(pk for _s, pk in seen) == sorted(corrections.values_list("pk", flat=True))
    assert len(seen) == len({pk for _s, pk in seen}) and [s for s, _p in seen] == sorted(s for s, _p in seen)
    if connection.vendor == "postgresql":
        a, b = corrections.get(record=x), corrections.get(record=y)
        assert a.pk < b.pk and a.seq > b.seq  # id order is not commit order; seq is


@pytest.mark.django_db(transaction=True)
def test_many_writers_and_a_poller_lose_nothing_and_repeat_nothing(cast):  # type: ignore[no-untyped-def]
    threads, per_thread = 5, 6
    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[int] = []

    def writer(t: int) -> None:
        try:
            for i in range(per_thread):
                make(cast, t * 100 + i, decision_date=RECENT)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def poller() -> None:
        since = 0
        try:
            while True:
                finished = done.is_set()
                page = feed.feed_read(since=since, limit=4)
                seen.extend(c.pk for c in page.changes)
                since = page.next_cursor
                if finished and not page.has_more:
                    return
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    reader = threading.Thread(target=poller)
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    done.set()
    reader.join(60)
    assert not errors
    assert len(seen) == len(set(seen)) == threads * per_thread
    assert set(seen) == set(RecordChange.objects.values_list("pk", flat=True))


# --- the import adapter: a round trip through the real endpoint ---------------------------------------------------
def _snapshot() -> list[tuple]:
    return sorted(
        CreditRecord.objects.values_list(
            "natural_key", "record_class", "severity", "decision_date", "publicity_start", "publicity_max_end",
            "status", "document_number", "facts",
        )
    )  # fmt: skip


def _platform_a(cast) -> None:  # type: ignore[no-untyped-def]
    kept = make(cast, 1, decision_date=RECENT)
    corrected = make(cast, 2, decision_date=RECENT, subject=cast.enterprise)
    revoked = make(cast, 3, decision_date=RECENT, subject=cast.xw_gov)
    old = make(cast, 4, decision_date=dt.date(2024, 1, 10), severity="general")  # already ended at creation
    services.record_correct(actor=SYSTEM, record=corrected, changes={"document_number": "宁罚〔2025〕2-1号",
                            "severity": "serious"}, reason="文号更正")  # fmt: skip
    services.record_revoke(actor=SYSTEM, record=revoked, reason="行政复议撤销")
    assert kept.status == RecordStatus.IN_FORCE and old.status == RecordStatus.PUBLICITY_ENDED


def _wipe() -> None:
    RecordChange.objects.all().delete()
    # Apps above records keep rows about records (e.g. sanction cases) that protect them from deletion: a second
    # platform starts without them too.
    for relation in CreditRecord._meta.related_objects:
        if relation.on_delete is models.PROTECT and relation.related_model is not CreditRecord:
            relation.related_model._default_manager.all().delete()
    CreditRecord.objects.all().delete()


def _ingest(path: Path, supplier: str) -> int:
    try:
        call_command("ingest", str(path), kind="records.feed", supplier=supplier)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.mark.django_db
def test_records_round_trip_through_the_feed_and_the_import_kind(client, cast, tmp_path):  # type: ignore[no-untyped-def]
    _platform_a(cast)
    before = _snapshot()
    tok = token(["records.feed"])
    response = get(client, tok)
    path = tmp_path / "changes.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    _wipe()
    assert _ingest(path, cast.prov_credit.uscc) == 0
    assert _snapshot() == before
    assert set(CreditRecord.objects.values_list("source", flat=True)) == {"feed"}
    # The same file again is recognised and changes nothing (the machinery's SHA-256 check).
    assert _ingest(path, cast.prov_credit.uscc) == 3
    assert _snapshot() == before


@pytest.mark.django_db
def test_an_unknown_subject_and_a_hostile_line_are_rejected_rows(cast, tmp_path):  # type: ignore[no-untyped-def]
    from registry.builders import make_uscc

    from govtrust.core.models import ImportBatch, ImportRowError

    good = {
        "change": "created", "number": "XY1", "record_class": "penalty", "severity": "general",
        "subject_kind": "agency", "subject_uscc": cast.xw_edu.uscc, "document_number": "<script>alert(1)</script>",
        "authority_name": "南京市市场监督管理局", "authority_uscc": make_uscc(501, area="320100"),
        "decision_date": RECENT.isoformat(), "publish": True,
    }  # fmt: skip
    unknown = {**good, "number": "XY2", "subject_uscc": make_uscc(4242, area="320100")}
    corrected_unknown = {**good, "change": "corrected", "number": "XY3", "document_number": "不存在〔2025〕1号"}
    path = tmp_path / "feed.jsonl"
    texts = [json.dumps(good, ensure_ascii=False), json.dumps(unknown), "{not json", json.dumps(corrected_unknown)]
    path.write_text("\n".join(texts), encoding="utf-8")
    assert _ingest(path, cast.prov_credit.uscc) == 1
    batch = ImportBatch.objects.get(kind="records.feed")
    assert (batch.rows_total, batch.rows_published, batch.rows_rejected) == (4, 1, 3)
    reasons = " ".join(ImportRowError.objects.filter(batch=batch).values_list("reason", flat=True))
    assert "本平台未登记该主体" in reasons and "本平台没有该记录" in reasons
    record = CreditRecord.objects.get()
    assert record.document_number == "<script>alert(1)</script>" and record.source_ref == "feed:XY1"


@pytest.mark.django_db(transaction=True)
def test_one_real_http_call_against_the_live_server_feeds_the_import(live_server, cast, tmp_path):  # type: ignore[no-untyped-def]
    _platform_a(cast)
    before = _snapshot()
    tok = token(["records.feed"])
    request = urllib.request.Request(f"{live_server.url}{URL}?since=0", headers={"Authorization": f"Bearer {tok}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback test server)
        assert response.status == 200 and response.headers["X-Has-More"] == "false"
        body = response.read()
    assert body.count(b"\n") == RecordChange.objects.count() == 6
    path = tmp_path / "from-live.jsonl"
    path.write_bytes(body)
    _wipe()
    assert _ingest(path, cast.prov_credit.uscc) == 0
    assert _snapshot() == before
    assert ChangeType.CREATED in set(RecordChange.objects.values_list("change", flat=True))
