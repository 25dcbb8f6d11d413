"""Work a page starts and shows while it runs: an import, an event's schedule, a round's proposal.

The work runs in a thread of its own (the request's context copied, so the log keeps its
request ID); the request waits for it a moment, so a short job's page opens on its result,
and a longer one's page shows it running and asks ``static/job.js``'s poller where it stands.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from features.exceptions import CnhtError, message

__all__ = ["run_in_background", "SHOW_RESULT_WITHIN_SECONDS", "PageJob", "PageJobs"]

logger = logging.getLogger(__name__)

# A job done within this time goes straight to its result; a longer one shows it is running.
SHOW_RESULT_WITHIN_SECONDS = 1.0


def run_in_background(name: str, work: Callable[..., Any], *args: Any,
                      wait: float = SHOW_RESULT_WITHIN_SECONDS) -> threading.Thread:  # fmt: skip
    """Start ``work(*args)`` in a daemon thread named ``name`` and wait for it up to ``wait`` s.

    ``work`` records its own result and failure (the thread's exceptions go nowhere).

    Returns
    -------
    threading.Thread
        The worker, alive when it outlasted ``wait``.
    """
    worker = threading.Thread(target=contextvars.copy_context().run, name=name, daemon=True, args=(work, *args))
    worker.start()
    worker.join(timeout=wait)
    return worker


@dataclass
class PageJob:
    """One run of a page's long work (an event's schedule, a round's proposal) in this process."""

    key: str  # what it works on: an event ID, a round ID
    by: str
    started_at: dt.datetime
    details: dict[str, Any] = field(default_factory=dict)  # e.g. the solver's time limit
    status: str = "running"  # running | done | failed
    error: str | None = None  # why it failed, in English
    error_vi: str | None = None  # and in Vietnamese
    finished_at: dt.datetime | None = None

    def error_in(self, lang: str) -> str:
        """Why it failed, in ``lang`` ("vi": the Vietnamese when there is one)."""
        return (self.error_vi if lang == "vi" and self.error_vi else self.error) or ""


class PageJobs:
    """The page jobs of one kind known to this server process, at most one running per key.

    A job is known to the process that runs it (``cnht serve --workers N``: a page polled on
    another worker sees the result once it is stored, not the job).

    Parameters
    ----------
    doing : dict
        What the work is, ``{"vi": ..., "en": ...}``, for the message of an unexpected failure.
    """

    def __init__(self, doing: dict[str, str]) -> None:
        self.doing = doing
        self._jobs: dict[str, PageJob] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> PageJob | None:
        with self._lock:
            return self._jobs.get(key)

    def start(self, key: str, by: str, work: Callable[..., Any], *args: Any, **details: Any) -> PageJob | None:
        """Run ``work(job, *args)`` in the background for ``key``, unless a job of ``key`` is running
        (then None: one at a time). ``work`` raising a domain error fails the job with its message in
        both languages; anything else fails it with a line saying the log has the trace."""
        with self._lock:
            current = self._jobs.get(key)
            if current is not None and current.status == "running":
                return None
            job = self._jobs[key] = PageJob(key=key, by=by, started_at=dt.datetime.now(dt.UTC), details=details)
        run_in_background(f"{self.doing['en'].split()[0].lower()}-{key}", self._run, job, work, *args)
        return job

    def _run(self, job: PageJob, work: Callable[..., Any], *args: Any) -> None:
        try:
            work(job, *args)
            job.status = "done"
        except CnhtError as exc:  # the data's to fix (a firm deleted since, no nomination, a share no one fills)
            job.error, job.error_vi, job.status = str(exc), message(exc, "vi"), "failed"
        except Exception:  # a bug: the log keeps the trace
            logger.exception("%s %s failed", self.doing["en"], job.key)
            job.error = f"Internal error while {self.doing['en'].lower()}; the server's log has the details."
            job.error_vi = f"Lỗi hệ thống khi {self.doing['vi']}; nhật ký của máy chủ có chi tiết."
            job.status = "failed"
        finally:
            job.finished_at = dt.datetime.now(dt.UTC)
