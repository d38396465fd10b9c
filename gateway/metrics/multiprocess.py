"""Several processes, one scrape: prometheus_client's multiprocess mode.

Each process writes its values to memory-mapped files in one directory (`PROMETHEUS_MULTIPROC_DIR`);
a scrape in any process reads and merges all of them. `linkgate serve` points its API processes at a
directory before they start (`LINKGATE_METRICS_DIR`, or a private one of its own), and `linkgate
worker` and `linkgate scheduler` given the same directory join the same scrape.

Files are named by process id, so a directory may be shared only by processes of one PID namespace
(one host, or one container). At start a command removes the files of processes no longer running;
a process that ends removes its live gauges (its counters stay until the next start, so totals do
not go backwards while the others run), and a scrape drops the live gauges of processes that died
without that (SIGKILL).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

ENVIRONMENT_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_FILE = re.compile(r"^(?P<kind>[a-z]+)(?:_(?P<mode>[a-z]+))?_(?P<pid>\d+)\.db$")


def directory() -> Path | None:
    """The shared directory of this process's metrics, if it is in multiprocess mode."""
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(path) if path else None


def use_directory(path: Path) -> None:
    """Put this process (and the processes it starts) in multiprocess mode over `path`.

    Call it before any metric value is created: Linkgate's metrics all have labels, so theirs are
    created on first use, after this."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ[ENVIRONMENT_VARIABLE] = str(path)
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    remove_dead_processes(path)
    forget_live_gauges_at_exit()


_LEAVING: set[int] = set()


def forget_live_gauges_at_exit() -> None:
    """Have this process remove its live gauges when it exits (once per process; none in single mode).
    Processes started with the directory already set (uvicorn's workers) call it at startup."""
    path, pid = directory(), os.getpid()
    if path is not None and pid not in _LEAVING:
        _LEAVING.add(pid)
        atexit.register(_forget_live_gauges, path, pid)


def remove_dead_processes(path: Path, *, live_gauges_only: bool = False) -> None:
    """Remove the files of processes that are no longer running (only their live gauges, if asked)."""
    for name, kind, mode, pid in _files(path):
        if live_gauges_only and not (kind == "gauge" and mode is not None and mode.startswith("live")):
            continue
        if not _running(pid):
            with contextlib.suppress(FileNotFoundError):
                (path / name).unlink()


def _files(path: Path) -> Iterable[tuple[str, str, str | None, int]]:
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return
    for name in names:
        match = _FILE.match(name)
        if match is not None:
            yield name, match["kind"], match["mode"], int(match["pid"])


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _forget_live_gauges(path: Path, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child that inherited the handler
        mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]


def scrape_source() -> Collector:
    """What a scrape reads: every process's files in multiprocess mode, else this process's registry."""
    path = directory()
    if path is None:
        return REGISTRY
    remove_dead_processes(path, live_gauges_only=True)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
    return registry
