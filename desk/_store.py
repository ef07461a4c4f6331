"""Files kept by content: the original of every upload, written before anything reads it.

``BlobStore`` is the interface (put, get, has, list, remove); ``LocalStore`` keeps each
blob in a directory under its SHA-256 (``ab/cd/abcd…``), written to a temporary name
in the same directory, fsync'd, renamed into place and the directory fsync'd: a crash
leaves either the whole file or none (a stray ``.tmp-`` file, which ``check`` reports).
A blob is never rewritten: putting bytes already there is a no-op, so the same file
uploaded twice is kept once.

``store_from_url``: ``file:///path`` or a plain path.  An S3-compatible store is a
second implementation of the same interface, for the scale-out work; until then other
schemes are refused with a clear error.
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
    raise StoreError(f"不支持的文件库地址：{url}（目前只支持本地目录 file:///路径）",
                     f"unsupported store URL {url!r}: only local directories (file:///path) "
                     "are supported so far")
