"""Agreements in batches over HTTP: rows in (CSV or JSON), a job with its progress, a zip of
every agreement out; a bad row listed with its errors while the others are written."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile

import pdfplumber
import pytest

from api import create_app
from api._jobs import JobNotDone, JobNotFound, JobRunner, JobsBusy

PARTY_A = {"name": "太原市社会保险中心", "representative": "张三",
           "address": "山西省太原市小店区长治路 123 号", "postcode": "030001",
           "telephone": "0351-4123456"}


def _party_b(name: str) -> dict:
    return {"name": name, "representative": "李四", "address": "山西省太原市迎泽大街 1 号",
            "postcode": "030002", "telephone": "13812345678"}


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def _finished(client, url: str) -> tuple[dict, list[tuple[int, int]]]:
    seen = []
    for _ in range(600):
        r = client.get(url)
        assert r.status_code == 200
        job = r.json
        seen.append((job["done"], job["total"]))
        if job["state"] in ("done", "failed"):
            return job, seen
        time.sleep(0.05)
    raise AssertionError("the job did not end in 30 s")


def test_a_json_batch_writes_every_good_row_and_lists_the_bad_one(client):
    names = ["太原市第一人民医院", "太原市堃喆康复医院", "大同市第三人民医院"]
    rows = [{"party_b": _party_b(n)} for n in names] + [{"party_b": {"name": "缺项医院"}}]
    r = client.post("/api/agreements/shanxi/medical/batches",
                    json={"common": {"party_a": PARTY_A, "city": "太原"}, "rows": rows})
    assert r.status_code == 202
    assert r.headers["Location"] == r.json["status_url"]
    assert r.json["state"] in ("queued", "running") and r.json["total"] == 4
    job, seen = _finished(client, r.json["status_url"])
    assert job["state"] == "done" and job["done"] == 3 and job["total"] == 4
    assert all(0 <= d <= t == 4 for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # progress only goes up
    (bad,) = job["skipped"]
    assert bad["row"] == 4
    assert {d["field"] for d in bad["details"]} >= {"party_b.representative", "party_b.address"}
    assert all(d["message_zh"] and d["message_en"] for d in bad["details"])
    z = client.get(job["zip_url"])
    assert z.status_code == 200 and z.mimetype == "application/zip"
    assert "shanxi-medical-pdf.zip" in z.headers["Content-Disposition"]
    assert z.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(z.data))
    assert sorted(archive.namelist()) == sorted(f"{n}.pdf" for n in names)
    with pdfplumber.open(io.BytesIO(archive.read("太原市堃喆康复医院.pdf"))) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "太原市堃喆康复医院" in text.replace(" ", "") and "太原市社会保险中心" in text.replace(" ", "")


def test_a_csv_batch_in_gb18030_gives_docx_files(client):
    csv = ("party_a.name,party_a.representative,party_a.address,party_a.postcode,"
           "party_a.telephone,name,representative,address,postcode,telephone\n"
           + "".join(f"太原市社会保险中心,张三,太原市长治路 123 号,030001,0351-4123456,"
                     f"晋中市第{i}医院,王五,晋中市榆次区 8 号,030600,0354-3234567\n"
                     for i in range(1, 4)))
    r = client.post("/api/agreements/shanxi/rehab/batches?format=docx",
                    data=csv.encode("gb18030"), content_type="text/csv")
    assert r.status_code == 202 and r.json["format"] == "docx"
    job, _ = _finished(client, r.json["status_url"])
    assert job["state"] == "done" and job["done"] == 3 and job["skipped"] == []
    archive = zipfile.ZipFile(io.BytesIO(client.get(job["zip_url"]).data))
    assert sorted(archive.namelist()) == [f"晋中市第{i}医院.docx" for i in range(1, 4)]


def test_a_batch_of_only_bad_rows_fails_and_says_why(client):
    r = client.post("/api/agreements/shanxi/medical/batches",
                    json=[{"party_b": {"name": "甲"}}, {"party_b": {"name": "乙"}}])
    job, _ = _finished(client, r.json["status_url"])
    assert job["state"] == "failed" and job["zip_url"] is None
    assert job["error"]["code"] == "input_invalid" and "全部 2 行都有错误" in job["error"]["message_zh"]
    assert [s["row"] for s in job["skipped"]] == [1, 2]
    z = client.get(f"/api/agreements/batches/{job['id']}/zip")
    assert z.status_code == 409 and z.json["code"] == "job_not_done"


@pytest.mark.parametrize("body, ctype, status, code", [
    (b"name\n", "text/plain", 415, "unsupported_media_type"),
    (b"[]", "application/json", 422, "input_invalid"),
    (b"{\"rows\": 5}", "application/json", 422, "input_invalid"),
    (b"nonsense,column\n1,2\n", "text/csv", 422, "input_invalid"),
    (b"[{", "application/json", 422, "input_invalid"),
    (json.dumps([{}] * 2001).encode(), "application/json", 422, "input_invalid"),
])
def test_a_bad_batch_is_refused_before_any_job(client, body, ctype, status, code):
    r = client.post("/api/agreements/shanxi/medical/batches", data=body, content_type=ctype)
    assert r.status_code == status and r.json["code"] == code
    assert r.json["message_zh"] and r.json["message_en"]


def test_an_unknown_text_or_job_is_refused(client):
    r = client.post("/api/agreements/hunan/medical/batches", json=[{"party_b": {}}])
    assert r.status_code == 422
    for url in ("/api/agreements/batches/no-such-job", "/api/agreements/batches/x/zip"):
        r = client.get(url)
        assert r.status_code == 404 and r.json["code"] == "job_not_found"


# ------------------------------------------------------------------ the runner itself

def test_the_runner_queues_reports_and_forgets(tmp_path):
    runner = JobRunner(tmp_path, keep_seconds=0.2, max_jobs=1)
    go = threading.Event()

    def work(job):
        go.wait(5)
        out = job.folder / "out.zip"
        out.write_bytes(b"PK")
        job.output, job.output_name, job.done = out, ("a.zip", "甲.zip"), 1

    job = runner.submit("test", 1, work)
    with pytest.raises(JobsBusy):
        runner.submit("test", 1, work)
    with pytest.raises(JobNotDone):
        runner.output(job.id)
    go.set()
    for _ in range(100):
        if runner.get(job.id).state == "done":
            break
        time.sleep(0.02)
    assert runner.output(job.id)[1].read_bytes() == b"PK"
    time.sleep(0.3)
    with pytest.raises(JobNotFound):
        runner.get(job.id)
    assert not job.folder.exists()
    runner.shutdown()


def test_a_job_that_breaks_fails_without_a_traceback(tmp_path):
    runner = JobRunner(tmp_path)
    job = runner.submit("test", 1, lambda job: 1 / 0)
    for _ in range(100):
        if runner.get(job.id).state == "failed":
            break
        time.sleep(0.02)
    assert job.state == "failed" and job.error["code"] == "job_failed"
    assert "ZeroDivision" in job.error["message_en"] and "Traceback" not in str(job.error)
    runner.shutdown()
