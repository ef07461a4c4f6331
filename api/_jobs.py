"""Work that takes longer than a request: run in the service's own threads, its progress
asked for by id, its output kept on disk for a while and then removed.

A job is known only by its id (128 random bits): whoever started it holds the id, and
nobody else can guess it.  Jobs live as long as the process (a restart loses the queued
and running ones, and says so: their ids are then unknown) and their files for
``keep_seconds`` after they end.  ``max_jobs`` bounds the queue: a service asked for more
answers 503 instead of growing without end.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from forms import XieyiError

STATES = ("queued", "running", "done", "failed")


class JobNotFound(XieyiError):
    code = "job_not_found"
    http_status = 404
    exit_status = 1


class JobsBusy(XieyiError):
    code = "jobs_busy"
    http_status = 503
    exit_status = 1


class JobNotDone(XieyiError):
    code = "job_not_done"
    http_status = 409
    exit_status = 1


@dataclass
class Job:
    id: str
    kind: str
    total: int
    folder: Path
    state: str = "queued"
    done: int = 0
    skipped: list[dict] = field(default_factory=list)
    error: dict | None = None
    output: Path | None = None
    #: the output's file name: (ASCII, as a person reads it)
    output_name: tuple[str, str] | None = None
    #: what the job's view shows beside its progress (the agreement text, the format…)
    meta: dict = field(default_factory=dict)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    finished_at: dt.datetime | None = None
    ended: float | None = None  # monotonic, for expiry


class JobRunner:
    """A few threads running jobs one after another, their state in memory, files in
    ``root``."""

    def __init__(self, root: Path, *, workers: int = 1, keep_seconds: float = 3600,
                 max_jobs: int = 20):
        self.root = Path(root)
        self.keep_seconds = keep_seconds
        self.max_jobs = max_jobs
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xieyi-job")

    def submit(self, kind: str, total: int, work: Callable[[Job], None], *,
               meta: dict | None = None) -> Job:
        """Queue ``work(job)``: it reports progress on ``job``, appends skipped items and
        sets ``job.output``; an exception it raises fails the job with its message."""
        self._expire()
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.state in ("queued", "running"))
            if active >= self.max_jobs:
                raise JobsBusy(f"排队的任务已达上限（{self.max_jobs} 个），请稍后再试",
                               f"{self.max_jobs} jobs are queued already: try again later")
            job_id = secrets.token_urlsafe(16)
            folder = self.root / job_id
            job = Job(id=job_id, kind=kind, total=total, folder=folder, meta=dict(meta or {}))
            self._jobs[job_id] = job
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state = "running"
        try:
            job.folder.mkdir(parents=True, exist_ok=True)
            work(job)
            job.state = "done"
        except XieyiError as e:
            job.error = e.to_dict()
            job.state = "failed"
        except Exception as e:  # noqa: BLE001 - the job fails, the service goes on
            job.error = {"code": "job_failed", "message_zh": "任务意外失败，请重试或联系管理员",
                         "message_en": f"the job failed unexpectedly ({type(e).__name__})",
                         "details": []}
            job.state = "failed"
        finally:
            job.finished_at = dt.datetime.now(dt.timezone.utc)
            job.ended = time.monotonic()

    def get(self, job_id: str) -> Job:
        self._expire()
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound("没有这个任务（任务结束一小时后即删除，服务重启后也不再保留）",
                              "no such job (jobs are removed an hour after they end, and on "
                              "a restart)")
        return job

    def output(self, job_id: str) -> tuple[Job, Path]:
        job = self.get(job_id)
        if job.state != "done" or job.output is None:
            raise JobNotDone(f"任务尚未完成（{job.done}/{job.total}）",
                             f"the job is not done ({job.done}/{job.total})")
        return job, job.output

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            old = [j for j in self._jobs.values()
                   if j.ended is not None and now - j.ended > self.keep_seconds]
            for j in old:
                del self._jobs[j.id]
        for j in old:
            shutil.rmtree(j.folder, ignore_errors=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def jobs() -> JobRunner:
    """The service's job runner (one per app, started on first use; its files in a
    temporary folder removed when the process ends)."""
    import atexit
    import tempfile

    from flask import current_app

    runner = current_app.extensions.get("xieyi-jobs")
    if runner is None:
        root = Path(tempfile.mkdtemp(prefix="xieyi-jobs-"))
        runner = JobRunner(root, keep_seconds=float(current_app.config.get("JOB_KEEP_SECONDS",
                                                                           3600)))
        current_app.extensions["xieyi-jobs"] = runner
        atexit.register(shutil.rmtree, root, True)
    return runner


def output_response(job: Job):
    """A finished job's output as a download: its name as a person reads it (RFC 6266's
    ``filename*``, with the ASCII one beside it), never cached (it holds people's data)."""
    from urllib.parse import quote

    from flask import send_file

    ascii_name, name = job.output_name
    resp = send_file(job.output, mimetype="application/zip")
    resp.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                           f"filename*=UTF-8''{quote(name, safe='')}")
    resp.headers["Cache-Control"] = "no-store"
    return resp
