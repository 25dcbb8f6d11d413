"""Work a page starts and shows while it runs: an import, an event's schedule.

The work runs in a thread of its own (the request's context copied, so the log keeps its
request ID); the request waits for it a moment, so a short job's page opens on its result,
and a longer one's page shows it running and asks ``static/job.js``'s poller where it stands.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["run_in_background", "SHOW_RESULT_WITHIN_SECONDS"]

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
