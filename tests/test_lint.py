"""The package passes its linter and its type checker with zero findings (settings in pyproject.toml),
so the typed trial record and the study kinds' protocol stay typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing_in_the_package():
    result = run("ruff", "check", "sweep")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_package():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
