"""How the web process runs in production: ``.venv/bin/gunicorn -c gunicorn.conf.py config.wsgi``.

Threaded workers (gthread): while one request waits for PostgreSQL (a commit's fsync) or Redis, another
runs, so a few worker processes keep the cores busy. The application is loaded and its URLconf imported
once in the master before the workers fork, so no worker pays for the imports on its first request.

Environment: ``GUNICORN_BIND`` (default 0.0.0.0:8000), ``WEB_CONCURRENCY`` (worker processes, default 2),
``GUNICORN_THREADS`` (threads per worker, default 8). Command-line options override this file.
"""

import os
from typing import Any

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = True
keepalive = 5
accesslog = None


def when_ready(server: Any) -> None:
    """Import every view module in the master (no database or cache connection is opened here)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and every view module
