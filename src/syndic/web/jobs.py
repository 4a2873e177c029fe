"""Long runs started from a page (a valuation run): one at a time per site, in a thread, with
their progress kept for the page that watches them. The run itself is the service's own
(``valuation.run``), the same call the CLI makes."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from syndic.app import Syndic
from syndic.errors import Conflict, SyndicError

if TYPE_CHECKING:
    from syndic.valuation.params import RunParams

log = logging.getLogger(__name__)


@dataclass
class Job:
    params: RunParams
    stage: str = "starting"
    done: int = 0
    total: int | None = None
    run_id: int | None = None
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
        self.current: Job | None = None
        self._lock = threading.Lock()

    def start_valuation(self, syndic: Syndic, params: RunParams, *, actor: str) -> Job:
        """Start a valuation run in a thread; refused while another is running."""
        with self._lock:
            if self.current is not None and not self.current.finished:
                raise Conflict("a valuation run is already in progress; watch it to its end")
            job = Job(params)
            self.current = job
        threading.Thread(target=_run, args=(syndic, job, actor), daemon=True).start()
        return job


def _run(syndic: Syndic, job: Job, actor: str) -> None:
    try:
        run = syndic.valuation.run(job.params, actor=actor, progress=job.update)
        job.run_id = run.id
    except SyndicError as exc:
        job.error = exc.message
    except Exception:
        log.exception("valuation run started from a page failed")
        job.error = "the run failed on our side; the operator's log has the details"
    finally:
        job.finished = True
