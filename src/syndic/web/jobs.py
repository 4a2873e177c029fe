"""Long runs started from a page (a valuation run, a log audit): one at a time per site, in a
thread, with their progress kept for the page that watches them. The work itself is the
service's own call (``valuation.run``, ``provenance.verify``), as the CLI makes it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from syndic.errors import Conflict, SyndicError

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int | None], None]


@dataclass
class Job:
    kind: str  # "valuation" or "audit": which page shows it
    about: str  # one line for the page
    stage: str = "starting"
    done: int = 0
    total: int | None = None
    result: object = None
    error: str | None = None
    finished: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, stage: str, done: int, total: int | None) -> None:
        with self._lock:
            self.stage, self.done, self.total = stage, done, total

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))


class Jobs:
    def __init__(self) -> None:
        self.current: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, about: str, work: Callable[[Progress], object]) -> Job:
        """Run ``work(progress)`` in a thread; refused while a job of this kind is running."""
        with self._lock:
            running = self.current.get(kind)
            if running is not None and not running.finished:
                raise Conflict(f"a {kind} is already in progress; watch it to its end")
            job = Job(kind, about)
            self.current[kind] = job
        threading.Thread(target=_run, args=(job, work), daemon=True).start()
        return job


def _run(job: Job, work: Callable[[Progress], object]) -> None:
    try:
        job.result = work(job.update)
    except SyndicError as exc:
        job.error = exc.message
    except Exception:
        log.exception("a %s started from a page failed", job.kind)
        job.error = "it failed on our side; the operator's log has the details"
    finally:
        job.finished = True
