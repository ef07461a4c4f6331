"""The file store on an S3-compatible server: moto's S3 server (a real HTTP server speaking
the S3 API, run in a thread on a free port), since no S3 service or MinIO can run on this
machine's registries; the README says so.  The same desk operations as on a local
directory: kept once by content, given back byte for byte, checked against the database."""

from __future__ import annotations

import socket

import pytest

from desk import Actor, Desk, DeskSettings, StoreError, store_from_url, upgrade_database

pytest.importorskip("boto3", reason="the S3 store needs boto3 (pip install '.[s3]')")
moto_server = pytest.importorskip("moto.server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ACCESS_KEY_ID", "xieyi-test")
    mp.setenv("AWS_SECRET_ACCESS_KEY", "xieyi-test")
    import boto3

    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1"
                 ).create_bucket(Bucket="xieyi")
    yield f"s3://xieyi/originals?endpoint=http://127.0.0.1:{port}"
    mp.undo()
    server.stop()


def test_blobs_are_kept_once_by_content_and_given_back_byte_for_byte(s3):
    store = store_from_url(s3)
    a = store.put(b"%PDF-1.4 one")
    assert store.put(b"%PDF-1.4 one") == a and store.has(a)
    assert store.get(a) == b"%PDF-1.4 one"
    assert list(store.list()) == [a]
    with pytest.raises(StoreError) as e:
        store.get("0" * 64)
    assert "缺少" in e.value.message_zh
    assert store.describe() == "s3://xieyi/originals/"


def test_the_desk_keeps_its_originals_in_the_bucket(s3, tmp_path):
    settings = DeskSettings(f"sqlite:///{tmp_path / 'x.sqlite3'}", s3)
    upgrade_database(settings)
    desk = Desk(settings)
    admin = Actor("admin", "admin")
    inst = desk.register_institution(admin, name="景德镇市第一人民医院",
                                     credit_code="91350100M000100Y43", category="medical",
                                     jurisdiction="jingdezhen")
    user = Actor("h", "institution", institution_id=inst["id"])
    case = desk.open_case(user, inst["id"])
    doc = desk.attach(user, case["id"], slot="material:营业执照", filename="执照.pdf",
                      data=b"%PDF-1.4 licence scan")
    assert desk.original(user, doc["id"])[2] == b"%PDF-1.4 licence scan"
    check = desk.check_store()
    assert check["ok"] and check["store"].startswith("s3://xieyi/")
    desk.close()


def test_a_bucket_that_is_not_there_is_a_clear_error(s3):
    store = store_from_url(s3.replace("s3://xieyi/", "s3://no-such-bucket/"))
    with pytest.raises(StoreError) as e:
        store.put(b"x")
    assert e.value.http_status == 503 and "NoSuchBucket" in e.value.message_en
