"""Background jobs with progress: @job_task, the worker (django-tasks-db), and the polling progress page."""

from __future__ import annotations

import signal
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from govtrust.core.jobs import JobError, job_create, job_enqueue, job_fail, job_finish, job_progress, job_task
from govtrust.core.models import Job, ObjectChange

User = get_user_model()

# Progress as the polling page would have seen it, read back from the database while the job ran.
seen_progress: list[tuple[str, int, int, str]] = []


@job_task
def count_to(job: Job, *, n: int) -> dict:
    job_progress(job, current=0, total=n, message="开始")
    for i in range(1, n + 1):
        job_progress(job, current=i, message=f"第{i}步")
        row = Job.objects.values_list("status", "progress_current", "progress_total", "message").get(pk=job.pk)
        seen_progress.append(row)
    return {"counted": n}


@job_task
def reject_row_three(job: Job) -> None:
    raise JobError("第3行：统一社会信用代码校验位错误")


@job_task
def crash_with_internals(job: Job) -> None:
    raise RuntimeError("relation core_secret does not exist at /srv/govtrust/x.py")


@pytest.fixture(autouse=True)
def _clear_seen():
    seen_progress.clear()


@pytest.fixture
def alice(db):
    return User.objects.create_user(username="alice", password="correct-horse-battery")


@pytest.fixture
def mallory(db):
    return User.objects.create_user(username="mallory", password="correct-horse-battery")


@pytest.mark.django_db
def test_a_job_reports_its_progress_while_running_and_its_result_at_the_end(alice):
    job = job_create(actor=alice, kind="test.count")
    assert (job.status, job.created_by_pk) == (Job.Status.QUEUED, alice.pk)
    job = job_enqueue(job, count_to, n=4)  # the ImmediateBackend runs it right away
    assert seen_progress == [("running", i, 4, f"第{i}步") for i in range(1, 5)]
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"counted": 4}
    assert (job.progress_current, job.progress_total, job.percent) == (4, 4, 100)
    assert job.started_at is not None and job.finished_at is not None
    assert job.task_id
    assert ObjectChange.objects.filter(object_type="core.job", object_id=str(job.pk)).count() == 2


@pytest.mark.django_db
def test_a_job_error_meant_for_the_user_is_shown(alice):
    job = job_enqueue(job_create(actor=alice, kind="test.import"), reject_row_three)
    assert job.status == Job.Status.FAILED
    assert job.error == "第3行：统一社会信用代码校验位错误"


@pytest.mark.django_db
def test_an_unexpected_crash_shows_only_a_reference_not_the_internals(alice):
    job = job_enqueue(job_create(actor=alice, kind="test.crash"), crash_with_internals)
    assert job.status == Job.Status.FAILED
    assert str(job.public_id) in job.error
    assert "core_secret" not in job.error


@pytest.mark.django_db
def test_a_job_delivered_twice_runs_once(alice):
    job = job_enqueue(job_create(actor=alice, kind="test.count"), count_to, n=2)
    count_to.call(str(job.public_id), n=2)  # a duplicate delivery of the same task
    assert len(seen_progress) == 2
    job.refresh_from_db()
    assert job.result == {"counted": 2}


@pytest.mark.django_db
def test_a_finished_job_cannot_be_finished_again_or_enqueued_again(alice):
    job = job_create(actor=alice, kind="test.manual")
    assert job_fail(job, error="放弃") is True
    assert job_finish(job, result={"x": 1}) is False
    job.refresh_from_db()
    assert (job.status, job.result) == (Job.Status.FAILED, None)
    with pytest.raises(ValueError):
        job_enqueue(job, count_to, n=1)


@pytest.mark.django_db
def test_progress_is_not_recorded_for_a_job_that_is_not_running(alice):
    job = job_create(actor=alice, kind="test.manual")
    job_progress(job, current=5, total=10)
    job.refresh_from_db()
    assert (job.progress_current, job.progress_total) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["", "x" * 101])
def test_it_refuses_a_job_without_a_proper_kind(alice, kind):
    with pytest.raises(ValueError):
        job_create(actor=alice, kind=kind)
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_job_to_completion(alice):
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            job = job_enqueue(job_create(actor=alice, kind="test.count"), count_to, n=3)
            assert job.status == Job.Status.QUEUED  # waiting for the worker
            task_row = DBTaskResult.objects.get()
            assert str(task_row.id) == job.task_id
            call_command(
                "db_worker", queue_name="*", batch=True, max_tasks=1, startup_delay=False, reload=False, verbosity=0
            )
    finally:
        for sig, handler in handlers.items():  # the worker installs its own; give pytest its Ctrl-C back
            signal.signal(sig, handler)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"counted": 3}
    assert seen_progress[-1] == ("running", 3, 3, "第3步")
    task_row.refresh_from_db()
    assert task_row.status == "SUCCESSFUL"


# --- the progress page ------------------------------------------------------------------------


def running_job(actor, *, current: int, total: int, message: str = "") -> Job:
    job = job_create(actor=actor, kind="test.page")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    job.refresh_from_db()
    job_progress(job, current=current, total=total, message=message)
    return job


@pytest.mark.django_db
def test_the_job_page_shows_a_progress_bar_that_polls_every_second(client, alice):
    job = running_job(alice, current=2, total=5, message="正在导入")
    client.force_login(alice)
    html = client.get(f"/console/jobs/{job.public_id}/").content.decode()
    assert f'hx-get="/console/jobs/{job.public_id}/progress/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert '<progress max="100" value="40"' in html
    assert "40%" in html and "正在导入" in html


@pytest.mark.django_db
def test_the_progress_partial_keeps_polling_while_running_and_stops_when_finished(client, alice):
    job = running_job(alice, current=1, total=3)
    client.force_login(alice)
    url = f"/console/jobs/{job.public_id}/progress/"
    running = client.get(url).content.decode()
    assert running.lstrip().startswith('<div id="job-progress"')  # only the partial, not the page
    assert 'hx-trigger="every 1s"' in running and "33%" in running

    job_finish(job, result={"imported": 3})
    finished = client.get(url).content.decode()
    assert "hx-trigger" not in finished and "hx-get" not in finished
    assert '<progress max="100" value="100"' in finished
    assert "已完成" in finished


@pytest.mark.django_db
def test_a_failed_job_shows_its_error_and_stops_polling(client, alice):
    job = running_job(alice, current=1, total=3)
    job_fail(job, error="<script>alert(1)</script>")
    client.force_login(alice)
    html = client.get(f"/console/jobs/{job.public_id}/progress/").content.decode()
    assert "hx-trigger" not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


@pytest.mark.django_db
def test_a_job_with_an_unknown_total_shows_an_indeterminate_bar(client, alice):
    job = running_job(alice, current=7, total=0)
    client.force_login(alice)
    html = client.get(f"/console/jobs/{job.public_id}/progress/").content.decode()
    assert "<progress aria-label" in html and "value=" not in html
    job_fail(job, error="中止")
    html = client.get(f"/console/jobs/{job.public_id}/progress/").content.decode()
    assert "<progress" not in html  # no endless animation for a job that has stopped


@pytest.mark.django_db
def test_only_the_creator_or_a_superuser_sees_a_job(client, alice, mallory):
    job = running_job(alice, current=1, total=2)
    root = User.objects.create_superuser(username="root", password="correct-horse-battery")
    for path in ["", "progress/", "status.json"]:
        url = f"/console/jobs/{job.public_id}/{path}"
        client.force_login(mallory)
        assert client.get(url).status_code == 404
        client.force_login(root)
        assert client.get(url).status_code == 200
        client.logout()
        assert client.get(url).status_code == 302


@pytest.mark.django_db
def test_an_unknown_or_malformed_job_id_is_a_404(client, alice):
    client.force_login(alice)
    assert client.get(f"/console/jobs/{uuid.uuid4()}/").status_code == 404
    assert client.get("/console/jobs/'; DROP TABLE core_job; --/").status_code == 404


@pytest.mark.django_db
def test_the_json_status_gives_api_callers_the_same_progress(client, alice):
    job = running_job(alice, current=1, total=4, message="进行中")
    client.force_login(alice)
    data = client.get(f"/console/jobs/{job.public_id}/status.json").json()
    assert data["id"] == str(job.public_id)
    assert (data["status"], data["progress_current"], data["progress_total"], data["percent"]) == ("running", 1, 4, 25)
    assert data["message"] == "进行中"
