"""`backoffice serve`'s supervisor: when one process stops, the others are stopped and its status
is the command's; without a queue it refuses to start (`make run` serves development)."""
from __future__ import annotations

import gc
import sys
import time

from backoffice.core import processes
from backoffice.core.processes import Command, production_commands, supervise


def test_when_one_process_stops_the_others_are_stopped_and_its_status_returned(tmp_path):
    marker = tmp_path / "long-ran-to-the-end"
    long = Command("long", [sys.executable, "-c",
                            f"import time, pathlib; time.sleep(30); pathlib.Path({str(marker)!r}).touch()"])
    failing = Command("failing", [sys.executable, "-c", "import time; time.sleep(0.5); exit(3)"])
    said: list[str] = []
    started = time.monotonic()
    assert supervise([long, failing], grace=5, say=said.append) == 3
    assert time.monotonic() - started < 10 and not marker.exists()
    assert said[-1] == "failing stopped with status 3: stopping the others"


def test_a_process_that_exits_cleanly_still_fails_the_set():
    assert supervise([Command("done", [sys.executable, "-c", "pass"])], say=lambda _: None) == 1


def test_the_production_set_is_gunicorn_a_worker_and_beat():
    commands = production_commands(host="0.0.0.0", port=8000, web_workers=3, job_concurrency=2,
                                   beat_schedule="/var/lib/backoffice/beat")
    assert [c.name for c in commands] == ["web", "worker", "beat"]
    assert commands[0].argv[1:] == ["-m", "gunicorn", "--workers", "3",
                                    "--worker-class", "gthread", "--threads", "4",
                                    "--bind", "0.0.0.0:8000", "--access-logfile", "-",
                                    "--graceful-timeout", "30",
                                    "--config", "python:backoffice.core.gunicorn_hooks",
                                    "backoffice:create_app()"]
    assert commands[2].argv[-2:] == ["--schedule", "/var/lib/backoffice/beat"]


def test_serve_starts_a_web_worker_per_core_each_with_threads(app, monkeypatch):
    """Threaded workers, one a core (issue 17: four processes on two cores cost each request more
    CPU); both can be set."""
    started = []
    monkeypatch.setattr(processes, "supervise", lambda commands, say: started.append(commands) or 0)
    monkeypatch.setattr(processes.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(processes.os, "cpu_count", lambda: 3)
    app.config["QUEUE_BROKER_URL"] = "redis://127.0.0.1:6379/0"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["serve"]).exit_code == 0
    assert runner.invoke(args=["serve", "--workers", "5", "--threads", "2"]).exit_code == 0
    defaults, given = (commands[0].argv for commands in started)
    assert defaults[defaults.index("--workers") + 1] == "3"
    assert defaults[defaults.index("--threads") + 1] == "4"
    assert given[given.index("--workers") + 1] == "5" and given[given.index("--threads") + 1] == "2"
    assert "gthread" in defaults


def test_serve_refuses_without_a_queue(app):
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 1
    assert "serve runs jobs on a queue: set QUEUE_BROKER_URL" in result.output


def test_a_web_worker_leaves_what_it_built_at_the_start_out_of_the_collectors_passes():
    from backoffice.core.gunicorn_hooks import YOUNG_THRESHOLD, post_worker_init

    threshold = gc.get_threshold()
    try:
        post_worker_init(None)
        assert gc.get_freeze_count() > 0
        # The youngest objects are looked at every 10,000 objects kept, not every 700.
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *threshold[1:])
        assert YOUNG_THRESHOLD > threshold[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
