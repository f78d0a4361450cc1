"""Start and watch the processes `manage.py serve` runs (issue 29: a worker that died stayed dead).

Each child runs in a process group of its own. A child that may be restarted (the Celery worker,
Celery beat) is started again when it exits, after a delay that doubles with each quick exit
(1 s up to a minute; a child that ran a minute starts again after 1 s), and each restart is
logged. The web server is not restarted: when it exits, everything stops and its exit code is
serve's. SIGTERM or SIGINT stops every child (SIGTERM, then SIGKILL after a grace period); a
second one kills them at once.
"""

import contextlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass

log = logging.getLogger("openops.serve")

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
STEADY_AFTER = 60.0  # seconds a child must have run for its next restart to be quick again
STOP_GRACE = 30.0  # seconds between SIGTERM and SIGKILL when stopping
POLL = 0.2


@dataclass
class Child:
    """One supervised process: `restart` False means its exit stops everything."""

    name: str
    command: list[str]
    restart: bool = True
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = FIRST_DELAY
    due: float | None = None  # when a stopped child is started again

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, children: list[Child]):
        self.children = children
        self.signals_received = 0

    def run(self) -> int:
        """Start the children and watch them until a signal or the end of a vital child; the
        exit code to leave with."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for child in self.children:
                self._start(child)
            while not self.signals_received:
                code = self._tick()
                if code is not None:
                    return code
                time.sleep(POLL)
            log.info("serve: stopping")
            return 0
        finally:
            self._stop_all()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _on_signal(self, number, frame) -> None:
        self.signals_received += 1

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(child.command, start_new_session=True)
        child.started, child.due = time.monotonic(), None
        log.info("serve: started the %s (pid %s)", child.name, child.process.pid)

    def _tick(self) -> int | None:
        """Restart what is due, notice what exited; an exit code when a vital child ended."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None:
                if child.due is not None and now >= child.due:
                    self._start(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            _kill_group(child.process.pid)  # what it left behind (a pool's processes)
            ran = now - child.started
            if not child.restart:
                log.error("serve: the %s %s; stopping everything", child.name, _exit(code, ran))
                return code if code > 0 else 128 - code if code < 0 else 0
            self._schedule_restart(child, code, ran, now)
        return None

    def _schedule_restart(self, child: Child, code: int, ran: float, now: float) -> None:
        if ran >= STEADY_AFTER:
            child.delay = FIRST_DELAY
        log.warning(
            "serve: the %s (pid %s) %s; restarting it in %.0f s",
            child.name, child.process.pid, _exit(code, ran), child.delay,
        )  # fmt: skip
        child.process, child.due = None, now + child.delay
        child.delay = min(child.delay * 2, MAX_DELAY)

    def _stop_all(self) -> None:
        running = [child for child in self.children if child.running]
        for child in running:
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        signals_before = self.signals_received  # a further signal while stopping: kill at once
        while any(child.running for child in running):
            if time.monotonic() > deadline or self.signals_received > signals_before:
                break
            time.sleep(POLL)
        for child in running:
            if child.running:
                log.warning("serve: the %s did not stop in time; killing it", child.name)
            _kill_group(child.process.pid)
            child.process.wait()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left in it
        os.killpg(pid, signal.SIGKILL)


def _exit(code: int, ran: float) -> str:
    if code >= 0:
        return f"exited with {code} after {ran:.1f} s"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"was killed by {name} after {ran:.1f} s"
