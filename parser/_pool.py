"""Worker processes that parse untrusted files, so that no file can hang or exhaust the caller.

A worker is forked: from the caller itself when it runs a single thread (the
command line, scripts, tests), else from a fork server that has imported the
parser (``forkserver`` with ``parser._work`` preloaded), as the web service runs
threads.  Either way a new worker costs a fork, not an interpreter start.
Workers are kept and reused; a call costs one round trip over a pipe (the file
out, a dict back).

The limits (``parser.Limits``):

* time: the caller waits for the answer at most ``time_limit`` seconds, then
  kills the worker (SIGKILL) and raises ``ParseTimeout``;
* memory: each worker caps its own address space at its idle size plus
  ``memory_limit`` (``RLIMIT_AS``); a bomb ends in ``MemoryError`` inside the
  worker (``ParseResourceLimit``), and a worker that dies anyway (a crash in C
  code) is reported the same way and replaced;
* a worker that ran out of memory, or grew, retires after answering.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import threading
import time

from forms.errors import ParseResourceLimit, ParseTimeout

from ._limits import Limits

#: workers kept at most (each is a whole process; parsing is CPU-bound)
DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))

_forkserver = None
_ctx_lock = threading.Lock()


def _context():
    """``fork`` from a process with one thread (the command line, a script, the tests): no
    interpreter start and no re-import of the main module; ``forkserver`` once threads run
    (the web service), as forking a threaded process can copy a lock another thread holds."""
    global _forkserver
    methods = mp.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return mp.get_context("fork")
    with _ctx_lock:
        if _forkserver is None:
            method = "forkserver" if "forkserver" in methods else "spawn"
            ctx = mp.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(["parser._work"])
            _forkserver = ctx
        return _forkserver


class _Worker:
    __slots__ = ("calls", "conn", "memory_limit", "proc")

    def __init__(self, memory_limit: int):
        from . import _work

        ctx = _context()
        parent, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_work.serve, args=(child, memory_limit), daemon=True,
                                name="xieyi-parse")
        self.proc.start()
        child.close()
        self.conn = parent
        self.memory_limit = memory_limit
        self.calls = 0

    def kill(self) -> None:
        try:
            self.proc.kill()
        except (OSError, ValueError, AttributeError):
            pass
        self.proc.join(timeout=2)
        try:
            self.conn.close()
        except OSError:
            pass


class WorkerPool:
    """At most ``size`` workers; callers beyond that wait for one to be free."""

    def __init__(self, size: int = DEFAULT_WORKERS):
        self.size = size
        #: a process forked from this one (a server's worker) must not use these pipes
        self.pid = os.getpid()
        self._idle: list[_Worker] = []
        #: every live worker, idle or busy (``terminate`` ends them all)
        self._all: set[_Worker] = set()
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False

    def _acquire(self, memory_limit: int) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the parse worker pool is closed")
                for i, w in enumerate(self._idle):
                    if w.memory_limit == memory_limit and w.proc.is_alive():
                        return self._idle.pop(i)
                if self._idle:  # a worker with another memory cap, or a dead one: replace
                    old = self._idle.pop(0)
                    self._count -= 1
                    self._all.discard(old)
                    old.kill()
                if self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            return self._start(memory_limit)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def _start(self, memory_limit: int) -> _Worker:
        try:
            w = _Worker(memory_limit)
        except (OSError, EOFError) as e:  # e.g. the fork server was killed: it restarts
            raise ParseResourceLimit(
                "无法启动解析进程（系统资源不足或进程被终止），请稍后重试",
                f"no parse worker could be started ({type(e).__name__}); try again "
                "later") from None
        with self._cond:
            self._all.add(w)
        return w

    def _release(self, w: _Worker, keep: bool) -> None:
        with self._cond:
            if keep and not self._closed:
                self._idle.append(w)
            else:
                self._count -= 1
                self._all.discard(w)
                w.kill()
            self._cond.notify()

    def run(self, data: bytes, limits: Limits, job: tuple | None = None):
        """The worker's answer for one file: ``("ok", dict)`` or ``("error", class name, zh,
        en, details)``; raises ``ParseTimeout`` / ``ParseResourceLimit`` itself.  ``job``:
        None parses the file, else what ``_work.do_job`` names (page sizes, a page image)."""
        w = self._acquire(limits.memory_limit)
        keep = False
        try:
            deadline = time.monotonic() + limits.time_limit
            try:
                w.conn.send((data, limits.to_dict(), job))
            except (OSError, ValueError):  # the worker died while idle: one fresh try
                with self._cond:
                    self._all.discard(w)
                w.kill()
                w = self._start(limits.memory_limit)
                w.conn.send((data, limits.to_dict(), job))
            allowed = limits.time_limit
            while True:
                if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise ParseTimeout(
                        f"读取文件超时（上限 {allowed:g} 秒），已中止",
                        f"reading the file took longer than {allowed:g} s and was stopped")
                try:
                    answer = w.conn.recv()
                except (EOFError, OSError):
                    w.proc.join(timeout=1)
                    raise ParseResourceLimit(
                        "读取文件时解析进程异常终止（内存超限或文件触发了读取库的崩溃）",
                        f"the parse worker died reading the file (exit code "
                        f"{w.proc.exitcode}): out of memory, or the file crashed a PDF "
                        "library") from None
                if answer[0] != "grant":
                    break
                # a scan's pages each get their own time (limits.scan_page_time), granted
                # once the worker knows how many it reads: at most max_pages of them
                extra = min(float(answer[1]), limits.scan_page_time * limits.max_pages)
                deadline += extra
                allowed += extra
            w.calls += 1
            keep = not answer[-1]
            return answer[:-1]
        finally:
            self._release(w, keep)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._all.difference_update(idle)
            self._cond.notify_all()
        for w in idle:
            w.kill()

    def terminate(self) -> None:
        """Close, and kill the busy workers too (the command is interrupted: nobody waits
        for their answers).  Their callers get ``ParseResourceLimit`` at once."""
        self.close()
        with self._cond:
            busy = list(self._all)
        for w in busy:
            try:
                w.proc.kill()
            except (OSError, ValueError, AttributeError):
                pass

    def start_all(self, limits: Limits | None = None) -> None:
        """Start every worker now: from a process with one thread they are forked, not
        started by a fork server (the command line's folder parse)."""
        limits = limits or Limits()
        started = [self._acquire(limits.memory_limit) for _ in range(self.size)]
        for w in started:
            self._release(w, True)

    def warm(self, limits: Limits | None = None) -> None:
        """Start one worker now (the fork server's start and imports take ~0.5 s once)."""
        limits = limits or Limits()
        w = self._acquire(limits.memory_limit)
        self._release(w, True)


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._closed or _pool.pid != os.getpid():
            # a pool inherited through fork belongs to the parent: leave its workers alone
            _pool = WorkerPool()
        return _pool


def configure(size: int) -> None:
    """Set the number of workers (the service's ``PARSE_WORKERS``); idle ones are replaced."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool.pid == os.getpid():
            _pool.close()
        _pool = WorkerPool(size)


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None and _pool.pid == os.getpid():
            _pool.close()
        _pool = None


atexit.register(shutdown)
