"""Where a run's things live and how it is carried out: every default and environment variable.

The CLI resolves each setting once — its flag, else its environment variable, else the
default below — and passes the result down; no other module reads the environment.
`RunOptions` carries everything `sweep run` needs to its workers (it is pickled into
each worker process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sweep import UsageError
from sweep.config.ranges import Range, bounded

STORAGE_VARIABLE = "SWEEP_STORAGE"
DATA_DIR_VARIABLE = "SWEEP_DATA_DIR"
ARTIFACTS_VARIABLE = "SWEEP_ARTIFACTS"
TRAINER_VARIABLE = "SWEEP_TRAINER"  # module:function with the Trainer interface (tests, plug-ins)
HEARTBEAT_VARIABLE = "SWEEP_HEARTBEAT_SECONDS"
GRACE_VARIABLE = "SWEEP_GRACE_SECONDS"
OUTAGE_VARIABLE = "SWEEP_STORAGE_OUTAGE_SECONDS"
TFDS_DATA_DIR_VARIABLE = "TFDS_DATA_DIR"  # TFDS's own: a populated data dir for the tfds source

DEFAULT_SQLITE = Path("studies") / "sweep.db"  # one shared file under the current directory
DEFAULT_STORAGE = f"sqlite:///{DEFAULT_SQLITE}"
DEFAULT_ARTIFACTS = Path("studies") / "artifacts"  # beside the default SQLite file
DEFAULT_TRAINER = "sweep.trial:train_and_evaluate"
HEARTBEAT_SECONDS = 30  # a running trial's heartbeat; it is stale after the grace period
GRACE_SECONDS = 90
STORAGE_OUTAGE_SECONDS = 120  # how long workers wait for a database server that went away
PICK_CONFIDENCE = 0.9  # the share of bootstrap resamples of a trial's seeds that must meet a pick's bounds (sweep.pick)
# A process each, with its own TensorFlow (hundreds of MB): more than this on one machine is a typo.
WORKERS = Range(1, 1024, whole=True, why="worker processes on this machine")


@dataclass(frozen=True)
class Heartbeat:
    interval: int = HEARTBEAT_SECONDS
    grace: int = GRACE_SECONDS


@dataclass(frozen=True)
class RunOptions:
    """How `sweep run` carries out a study: resolved once by the CLI, passed to every worker."""

    storage: str
    data_dir: Path
    artifacts: Path
    n_trials: int
    workers: int = bounded(1, WORKERS)
    timeout: float | None = None  # seconds for this run; None: no limit
    command: str = ""  # the command line, credentials redacted, recorded with a new study
    trainer: str = DEFAULT_TRAINER
    heartbeat: Heartbeat = Heartbeat()
    outage_seconds: float = STORAGE_OUTAGE_SECONDS


def storage_url(explicit: str | None = None) -> str:
    """--storage, else $SWEEP_STORAGE, else the shared SQLite file under ./studies/."""
    return explicit or os.environ.get(STORAGE_VARIABLE) or DEFAULT_STORAGE


def data_dir(explicit: Path | str | None = None) -> Path:
    """--data-dir, else $SWEEP_DATA_DIR, else the user's cache directory."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_VARIABLE):
        return Path(os.environ[DATA_DIR_VARIABLE]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("sweep"))


def artifact_dir(explicit: Path | str | None = None) -> Path:
    """--artifacts, else $SWEEP_ARTIFACTS, else studies/artifacts, as an absolute path (recorded with studies)."""
    return Path(explicit or os.environ.get(ARTIFACTS_VARIABLE) or DEFAULT_ARTIFACTS).absolute()


def trainer_target() -> str:
    """$SWEEP_TRAINER, else sweep's own trainer."""
    return os.environ.get(TRAINER_VARIABLE) or DEFAULT_TRAINER


def heartbeat() -> Heartbeat:
    """Heartbeat interval and grace period; the environment may shorten them (tests, impatient users)."""
    interval = _whole_seconds(HEARTBEAT_VARIABLE, HEARTBEAT_SECONDS)
    return Heartbeat(interval, _whole_seconds(GRACE_VARIABLE, max(GRACE_SECONDS, 3 * interval)))


def outage_seconds() -> int:
    """How long a worker waits for a database server that restarted or went away."""
    return _whole_seconds(OUTAGE_VARIABLE, STORAGE_OUTAGE_SECONDS)


def tfds_data_dir() -> str | None:
    return os.environ.get(TFDS_DATA_DIR_VARIABLE) or None


def _whole_seconds(variable: str, default: int) -> int:
    text = os.environ.get(variable)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"${variable}={text!r} is not a whole number of seconds") from None
    if value < 1:
        raise UsageError(f"${variable} must be at least 1 second")
    return value
