"""Noticing that files changed, cheaply enough to ask on every call.

A :class:`FileWatch` compares each file's (mtime_ns, size, inode) with what
it saw last, and stats at most once per interval: the TLS credential
fetcher asks on every new connection and the JWT verifier on every call,
so between checks the answer costs one clock read. Kubernetes rotates a
mounted Secret by swapping a symlink; stat follows it, so the inode
changes. A file that is missing has its own signature (None), so a
delete-then-create shows up as two changes.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

Signature = tuple[tuple[int, int, int] | None, ...]


def signature(paths: Sequence[str]) -> Signature:
    """The (mtime_ns, size, inode) of each path, None for a missing one."""
    out: list[tuple[int, int, int] | None] = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)


class FileWatch:
    """Reports when any of a set of files changed since the last report."""

    def __init__(self, paths: Sequence[str], interval: float) -> None:
        self.paths = tuple(paths)
        self.interval = interval
        self._lock = threading.Lock()
        self._seen = signature(self.paths)
        self._checked = time.monotonic()
        self._forced = 0.0

    def changed(self, force: bool = False) -> bool:
        """True once for each change seen. Stats at most once per interval;
        force (a reason to suspect a change) stats at once, itself at most
        once per interval."""
        now = time.monotonic()
        if force:
            if now - self._forced < self.interval:
                return False
        elif now - self._checked < self.interval:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # another thread is checking right now
        try:
            if force:
                self._forced = now
            self._checked = now
            sig = signature(self.paths)
            if sig == self._seen:
                return False
            self._seen = sig
            return True
        finally:
            self._lock.release()
