"""Files kept by content: the original of every upload, written before anything reads it.

``BlobStore`` is the interface (put, get, has, list, remove); ``LocalStore`` keeps each
blob in a directory under its SHA-256 (``ab/cd/abcd…``), written to a temporary name
in the same directory, fsync'd, renamed into place and the directory fsync'd: a crash
leaves either the whole file or none (a stray ``.tmp-`` file, which ``check`` reports).
A blob is never rewritten: putting bytes already there is a no-op, so the same file
uploaded twice is kept once.

``store_from_url``: ``file:///path`` or a plain path (``LocalStore``), or
``s3://bucket/prefix?endpoint=…`` (``S3Store``: AWS S3 or any S3-compatible server, by
boto3, installed with ``pip install 'xieyi[s3]'``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Protocol
from urllib.parse import urlparse

from .errors import StoreError


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, sha256: str) -> bytes: ...
    def has(self, sha256: str) -> bool: ...
    def list(self) -> Iterator[str]: ...
    def leftovers(self) -> list[str]: ...
    def describe(self) -> str: ...


def _hex(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise StoreError("文件标识不是 SHA-256", f"not a SHA-256: {sha256[:80]!r}")
    return sha256


class LocalStore:
    """Blobs in a local directory."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def describe(self) -> str:
        return f"file://{self.root}"

    def path(self, sha256: str) -> Path:
        h = _hex(sha256)
        return self.root / h[:2] / h[2:4] / h

    def put(self, data: bytes) -> str:
        digest = sha256_of(data)
        final = self.path(digest)
        if final.exists() and final.stat().st_size == len(data):
            return digest  # kept once, whoever uploads it again
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o444)  # the original is never altered
                os.replace(tmp, final)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
            _fsync_dir(final.parent)
        except OSError as e:
            raise StoreError(f"无法保存文件：{e.strerror or e}",
                             f"the file could not be stored: {e.strerror or e}") from None
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"文件库中缺少文件 {sha256}",
                             f"the store has no blob {sha256}") from None
        except OSError as e:
            raise StoreError(f"无法读取文件：{e.strerror or e}",
                             f"the blob could not be read: {e.strerror or e}") from None

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def list(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for p in sorted(self.root.glob("??/??/*")):
            if not p.name.startswith(".tmp-"):
                yield p.name

    def leftovers(self) -> list[str]:
        """Temporary files of writes that never finished (a crash mid-upload)."""
        if not self.root.is_dir():
            return []
        return sorted(str(p) for p in self.root.glob("??/??/.tmp-*"))


class S3Store:
    """Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph…), by boto3.

    URL: ``s3://bucket/prefix`` with optional query ``endpoint=http://host:port`` (else
    ``AWS_ENDPOINT_URL``) and ``region=…``; credentials come the usual boto3 ways
    (``AWS_ACCESS_KEY_ID``…).  A put sends the blob's SHA-256 (``ChecksumSHA256``), so
    the store refuses bytes damaged on the way; an object appears whole or not at all,
    so there are no unfinished writes to report.
    """

    def __init__(self, url: str):
        from urllib.parse import parse_qs

        parsed = urlparse(url)
        if not parsed.netloc:
            raise StoreError(f"文件库地址缺少存储桶：{url}", f"no bucket in {url!r}")
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise StoreError("使用 S3 文件库需要 boto3：pip install 'xieyi[s3]'",
                             "an S3 store needs boto3: pip install 'xieyi[s3]'") from None
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.prefix = f"{self.prefix}/" if self.prefix else ""
        self.client = boto3.client(
            "s3", endpoint_url=query.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL"),
            region_name=query.get("region") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": "path"}))

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, sha256: str) -> str:
        h = _hex(sha256)
        return f"{self.prefix}{h[:2]}/{h[2:4]}/{h}"

    def _fail(self, e: Exception, what_zh: str, what_en: str) -> StoreError:
        return StoreError(f"{what_zh}：{e}", f"{what_en}: {e}")

    def put(self, data: bytes) -> str:
        import base64

        from botocore.exceptions import BotoCoreError, ClientError

        digest = sha256_of(data)
        if self.has(digest):
            return digest
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(digest), Body=data,
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode("ascii"))
        except (BotoCoreError, ClientError) as e:
            raise self._fail(e, "无法保存文件", "the file could not be stored") from None
        return digest

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise StoreError(f"文件库中缺少文件 {sha256}",
                                 f"the store has no blob {sha256}") from None
            raise self._fail(e, "无法读取文件", "the blob could not be read") from None
        except BotoCoreError as e:
            raise self._fail(e, "无法读取文件", "the blob could not be read") from None

    def has(self, sha256: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._fail(e, "无法访问文件库", "the store cannot be reached") from None
        except BotoCoreError as e:
            raise self._fail(e, "无法访问文件库", "the store cannot be reached") from None

    def list(self) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for obj in page.get("Contents", ()):
                    name = obj["Key"].rsplit("/", 1)[-1]
                    if len(name) == 64:
                        yield name
        except (BotoCoreError, ClientError) as e:
            raise self._fail(e, "无法列出文件库", "the store cannot be listed") from None

    def leftovers(self) -> list[str]:
        return []  # an object is stored whole or not at all


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def store_from_url(url: str) -> BlobStore:
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        return LocalStore(parsed.path if parsed.scheme else url)
    if parsed.scheme == "s3":
        return S3Store(url)
    raise StoreError(f"不支持的文件库地址：{url}（可用本地目录 file:///路径 或 s3://存储桶/前缀）",
                     f"unsupported store URL {url!r}: a local directory (file:///path) or "
                     "s3://bucket/prefix")
