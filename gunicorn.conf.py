"""How the web process runs in production: ``.venv/bin/gunicorn -c gunicorn.conf.py config.wsgi``.

Threaded workers (gthread): while one request waits for PostgreSQL (a commit's fsync) or Redis, another
runs, so a few worker processes keep the cores busy. The application is loaded and its URLconf imported
once in the master before the workers fork, so no worker pays for the imports on its first request
(a second or more, added to one of the first requests of every worker otherwise).

Environment: ``GUNICORN_BIND`` (default 0.0.0.0:8000), ``WEB_CONCURRENCY`` (worker processes, default 2),
``GUNICORN_THREADS`` (threads per worker, default 4: requests are mostly CPU, so a few threads are enough to
overlap their waits; more only contend for the GIL). Command-line options override this file.
"""

import logging
import os
from typing import Any

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
keepalive = 5
accesslog = None


def when_ready(server: Any) -> None:
    """Import every view and task module in the master (no database, cache or broker connection is opened here)."""
    from django.urls import get_resolver

    from config.celery import app

    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf and every view module
    app.loader.import_default_modules()


def post_worker_init(worker: Any) -> None:
    """Connect the worker to the cache and the broker before its first request (their client libraries load then).

    A cache or broker that is down must not stop the worker: requests report it when they need them.
    """
    from django.core.cache import cache

    from config.celery import app

    try:
        cache.get("gunicorn:warm-up")
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:  # noqa: BLE001 - only a warm-up
        logging.getLogger(__name__).warning("warm-up: cache or broker not reachable", exc_info=True)
