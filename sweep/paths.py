"""Where a command will read and write, checked before any work starts.

A default output path is built from a name (`reports/<study>/`), so a name must not lead
out of its parent; a directory the user names must be a directory (or creatable) and
writable. Each problem is one UsageError naming the flag and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

from sweep import UsageError


def default_output(parent: Path, name: str, flag: str) -> Path:
    """parent/name, refused when the name would put it anywhere but strictly inside parent."""
    path = Path(parent) / name
    resolved, root = path.resolve(), Path(parent).resolve()
    if not name or Path(name).is_absolute() or resolved == root or not resolved.is_relative_to(root):
        raise UsageError(f"the name {name!r} would put the output outside {parent}/; choose a directory with {flag}")
    return path


def output_directory(path: Path, flag: str) -> Path:
    """A directory to write into: it may not exist yet, but must not be a file and must be writable."""
    path = input_directory(path, flag)
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise UsageError(f"{flag} {path}: {existing} is a file, not a directory; give another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: {existing} is not writable; give a directory you can write to")
    return path


def input_directory(path: Path, flag: str) -> Path:
    """A directory to read from: if it exists it must be a directory (a missing one is the reader's to report)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is a file, not a directory; give a directory")
    return path


def sqlite_database(url: str, flag: str, write: bool) -> None:
    """A SQLite URL's file: not a directory, in a directory (writable when the command writes)."""
    if not url.startswith("sqlite:///"):
        return
    database = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    if database.is_dir():
        raise UsageError(f"{flag} {url}: {database} is a directory, not a database file; name a file")
    if database.parent.exists() and not database.parent.is_dir():
        raise UsageError(f"{flag} {url}: {database.parent} is a file, not a directory; name another path")
    if write and database.parent.is_dir() and not os.access(database.parent, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {url}: {database.parent} is not writable; give a storage you can write to")


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path
