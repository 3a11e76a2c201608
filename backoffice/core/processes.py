"""``backoffice serve``: the production processes of one machine, started and stopped together.

gunicorn with its web workers, one Celery worker and the one Celery beat, each its own process
from this environment. When any of them stops, the others are stopped too and the command exits
with that one's status, so a supervisor above (systemd, a container runtime) sees the failure and
restarts the whole set; SIGTERM or Ctrl-C stops them all, giving each ``grace`` seconds to finish
(a job in flight is acknowledged only when done, so one cut short is delivered again).
Larger installations run the three as separate services instead (README, "Operations").
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import gunicorn_hooks


@dataclass(frozen=True)
class Command:
    name: str
    argv: Sequence[str]


#: Requests each web worker serves at once, in threads: while one waits for the database, another
#: runs (issue 17, README "Production").
WEB_THREADS = 4


def default_web_workers() -> int:
    """One web worker process per core this process may run on: more processes on the same cores
    only cost each request more CPU (issue 17, README "Production"); the threads keep the cores
    busy while a request waits for the database."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def web_server(*, host: str, port: int, workers: int, threads: int = WEB_THREADS,
               app: str = "backoffice:create_app()") -> list[str]:
    """The gunicorn command line of the web workers (also the load benchmark's, for its bare
    Flask page): threaded workers, which keep a client's connection open between requests."""
    return [sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--bind", f"{host}:{port}", "--access-logfile", "-", "--graceful-timeout", "30",
            "--config", f"python:{gunicorn_hooks.__name__}", app]


def production_commands(*, host: str, port: int, web_workers: int, job_concurrency: int,
                        beat_schedule: str, web_threads: int = WEB_THREADS) -> list[Command]:
    python = sys.executable
    return [
        Command("web", web_server(host=host, port=port, workers=web_workers, threads=web_threads)),
        Command("worker", [python, "-m", "celery", "-A", "backoffice.worker", "worker",
                           "--loglevel", "INFO", "--concurrency", str(job_concurrency)]),
        Command("beat", [python, "-m", "celery", "-A", "backoffice.worker", "beat",
                         "--loglevel", "INFO", "--schedule", beat_schedule]),
    ]


def supervise(commands: Sequence[Command], *, grace: float = 30.0, poll: float = 0.2,
              say: Callable[[str], None] = print) -> int:
    """Run the commands until one stops or a stop signal arrives; returns the exit status."""
    running = {command.name: subprocess.Popen(command.argv) for command in commands}
    stopping: list[int] = []

    def stop(signum, frame):  # noqa: ARG001 (a signal handler's signature)
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    say(f"started {', '.join(f'{name} (pid {p.pid})' for name, p in running.items())}")
    status = 0
    try:
        while not stopping:
            ended = next(((name, p) for name, p in running.items() if p.poll() is not None), None)
            if ended:
                name, process = ended
                status = process.returncode or 1
                say(f"{name} stopped with status {process.returncode}: stopping the others")
                break
            time.sleep(poll)
    finally:
        for process in running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in running.values():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
