"""Several processes, one scrape: each writes its own files in the shared directory, any reads them all."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics.multiprocess import ENVIRONMENT_VARIABLE, scrape_source
from tests.support.processes import PROJECT_ROOT

# A process that joins the directory, counts `argv[2]` tokens, leads, and waits for a line on stdin.
RECORDER = """
import sys
from pathlib import Path
from gateway.metrics.multiprocess import use_directory
use_directory(Path(sys.argv[1]))
from gateway.metrics.definitions import SCHEDULER_LEADER, TOKENS_ISSUED
TOKENS_ISSUED.labels("generic").inc(int(sys.argv[2]))
SCHEDULER_LEADER.labels("distributed").set(1)
print("ready", flush=True)
sys.stdin.readline()
"""


class Recorder:
    def __init__(self, directory: Path, tokens: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(directory), str(tokens)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"  # blocks until it has recorded

    def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.close()
        assert self.process.wait(timeout=20) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shared metrics directory this test process scrapes (without recording into it)."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(tmp_path))
    return tmp_path


def scraped(name: str, **labels: str) -> float | None:
    text = generate_latest(scrape_source()).decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_one_scrape_sees_every_process(directory: Path) -> None:
    first, second = Recorder(directory, 1), Recorder(directory, 2)

    assert scraped("linkgate_tokens_issued_total", kind="generic") == 3
    assert scraped("linkgate_scheduler_leader", mode="distributed") == 2  # summed over live processes

    first.finish()  # exits cleanly: its live gauges go with it
    second.kill()  # no clean-up at all: the scrape notices it is gone
    assert scraped("linkgate_tokens_issued_total", kind="generic") == 3  # counters do not go backwards
    assert scraped("linkgate_scheduler_leader", mode="distributed") is None  # no live process reports one


def test_a_new_start_forgets_processes_that_ended(directory: Path) -> None:
    Recorder(directory, 5).finish()
    assert scraped("linkgate_tokens_issued_total", kind="generic") == 5

    restarted = Recorder(directory, 0)
    try:
        assert scraped("linkgate_tokens_issued_total", kind="generic") == 0
        assert scraped("linkgate_scheduler_leader", mode="distributed") == 1
    finally:
        restarted.finish()
