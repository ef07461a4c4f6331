"""The limits a parse runs within: size, pages, wall-clock time, memory, inflated bytes.

Every upload is untrusted.  The size is checked before anything reads the
file, the page count before any page is interpreted; time and memory are
enforced on the worker process that does the reading (``parser._pool``): it
is killed when the time is up, and its address space is capped with
``RLIMIT_AS`` so that a decompression bomb ends in a ``MemoryError`` there
instead of exhausting the machine.  Decompression is capped before that, while
inflating, per stream and per document (``parser._inflate``), so a bomb stops
after a few megabytes of output rather than at the address-space cap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Limits of one parse; checked when made (``ValueError`` names the bad setting)."""

    #: largest file accepted, in bytes (an application form is 40-200 KB; a scan of
    #: ten pages a few MB)
    max_bytes: int = 20 * MiB
    #: most pages accepted (our longest form has 4)
    max_pages: int = 50
    #: wall-clock seconds one parse may take, start of the worker's reading to result.
    #: Our longest form reads in under half a second; 4 s keeps any file, with the
    #: command's start and the worker's replacement, within 5 s (benchmarks/bench_hostile.py)
    time_limit: float = 4.0
    #: wall-clock seconds each page of a scan adds once its values are read by OCR (about
    #: a second a page on one core: benchmarks/bench_ocr.py)
    scan_page_time: float = 8.0
    #: memory one parse may add to its worker, in bytes (RLIMIT_AS above the worker's
    #: size when idle).  A form adds under 60 MB; 256 MiB keeps the command and its
    #: worker under 512 MB whatever the file (pdfminer keeps a decompressed stream whole
    #: and makes an object of every token, so a 20 MB page of numbers stops here)
    memory_limit: int = 256 * MiB
    #: bytes one stream may inflate to (our forms' largest stream, the embedded typing
    #: font, is under 6 MB; a page of text a few hundred KB)
    stream_inflate_limit: int = 32 * MiB
    #: bytes all the streams of one file may inflate to together
    inflate_limit: int = 128 * MiB

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"Limits.{f.name} must be a number, not {v!r}")
        checks = (
            ("max_bytes", 1024 <= self.max_bytes <= 1024 * MiB, "between 1 KiB and 1 GiB"),
            ("max_pages", 1 <= self.max_pages <= 10_000, "between 1 and 10000"),
            ("time_limit", 0.01 <= self.time_limit <= 600, "between 0.01 and 600 seconds"),
            ("scan_page_time", 0.01 <= self.scan_page_time <= 600,
             "between 0.01 and 600 seconds"),
            ("memory_limit", 32 * MiB <= self.memory_limit <= 64 * 1024 * MiB,
             "between 32 MiB and 64 GiB"),
            ("stream_inflate_limit", 64 * 1024 <= self.stream_inflate_limit <= 16 * 1024 * MiB,
             "between 64 KiB and 16 GiB"),
            ("inflate_limit", self.stream_inflate_limit <= self.inflate_limit <= 64 * 1024 * MiB,
             "at least stream_inflate_limit and at most 64 GiB"),
        )
        for name, ok, what in checks:
            if not ok:
                raise ValueError(f"Limits.{name} must be {what}, not {getattr(self, name)!r}")
        for name in ("max_bytes", "max_pages", "memory_limit", "stream_inflate_limit",
                     "inflate_limit"):
            if not isinstance(getattr(self, name), int):
                raise ValueError(f"Limits.{name} must be a whole number")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_mapping(cls, m, prefix: str = "") -> Limits:
        """Limits from a mapping such as Flask's config (``PARSE_MAX_BYTES``…); keys absent
        keep their defaults."""
        kw = {}
        for f in fields(cls):
            key = f"{prefix}{f.name.upper()}"
            if key in m and m[key] is not None:
                kw[f.name] = m[key]
        return cls(**kw)
