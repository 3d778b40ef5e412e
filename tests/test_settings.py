"""Settings load without a secret for commands that sign nothing; the web server refuses to start without one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def run_without_secret(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env["VAR_DIR"] = str(tmp_path)
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_makemigrations_check_runs_without_secret_key(tmp_path: Path) -> None:
    result = run_without_secret(tmp_path, "manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_the_web_server_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    result = run_without_secret(tmp_path, "-c", "import config.wsgi")
    assert result.returncode != 0
    assert "Set SECRET_KEY (or DEBUG=1 for a development key)." in result.stderr
