"""Starts the reference server as a subprocess for the test_server* tests
(no tests here). Ports are free ports below 32768 on 127.0.0.1."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
READY = re.compile(
    r"^protoctl-server: serving on (\S+):(\d+) workers=(\d+) mode=(\w+) pid=(\d+)"
    r" tls=(off|tls|mtls) auth=(off|jwt)$"
)


def free_port() -> int:
    """A port below 32768 nothing listens on at 127.0.0.1 now."""
    for _ in range(200):
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768")


class Running:
    """A server subprocess and its stderr, collected line by line."""

    def __init__(self, args: list[str], timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONPATH=str(SRC), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "protoctl_server", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.port = 0
        self.pid = 0
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout):
            self.proc.kill()
            raise AssertionError("server did not print its ready line:\n" + self.log())

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            m = READY.match(line.strip())
            if m:
                self.port, self.pid = int(m.group(2)), int(m.group(5))
                self._ready.set()
        self._ready.set()

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return "\n".join(self.lines)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def wait_for_log(self, text: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            time.sleep(0.02)
        raise AssertionError(f"no log line with {text!r}:\n{self.log()}")


def start(mode: str = "aio", workers: int = 1, *extra: str) -> Running:
    """A server on a free port; plaintext unless extra names TLS files."""
    transport = [] if "--tls-cert" in extra else ["--plaintext"]
    return Running(
        [
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--workers",
            str(workers),
            "--mode",
            mode,
            *transport,
            *extra,
        ]
    )
