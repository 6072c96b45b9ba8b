"""The open-files limit of a server or worker process, raised to what its sockets may need.

Every outbound and every client connection is a file descriptor: under the default outbound
limits a busy process may hold thousands, more than the usual soft limit of 1,024 allows. An
unprivileged process may raise its soft limit up to the hard one, so it does so at start.
"""

from __future__ import annotations

import logging
import resource

from hooksmith.settings import Settings

log = logging.getLogger(__name__)

# Client connections, the database pool, log files and the interpreter's own files.
HEADROOM = 1024


def raise_open_files_limit(settings: Settings) -> int:
    """Raise the soft `RLIMIT_NOFILE` to what `outbound_total` needs, at most the hard limit;
    returns the soft limit now in force (`resource.RLIM_INFINITY` when unlimited)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = settings.outbound_total + HEADROOM
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as error:
            log.warning("could not raise the open-files limit to %d: %s", wanted, error)
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "the open-files limit is %d, below HOOKSMITH_OUTBOUND_TOTAL (%d) plus %d for "
            "clients: raise the hard limit (ulimit -Hn) or lower the setting",
            soft,
            settings.outbound_total,
            HEADROOM,
        )
    return soft
