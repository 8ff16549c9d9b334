"""`sweep run`: one study, N worker processes on this machine, a live view of the storage.

One TensorFlow process per worker (never threads), with the CPU's cores divided between
them. SIGINT/SIGTERM mark each running trial FAILED at once and end the run with exit
code 130/143; a killed worker (kill -9) leaves a trial whose heartbeat stops, which a
later run marks FAILED and retries once with the same parameters and seeds.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

from sweep import SweepError, patience
from sweep.config import StudySpec
from sweep.config.run import RunOptions
from sweep.data.prepared import load_prepared
from sweep.logs import configure_logging
from sweep.per_pair import run_worker
from sweep.redact import redact
from sweep.storage import open_storage
from sweep.study import Interrupted, count_states, create_or_load, fail_stale_trials, is_complete

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


@contextmanager
def interrupts_raise():
    """SIGINT and SIGTERM raise Interrupted in the main thread, so Optuna marks the trial FAILED."""

    def handler(signal_number, frame):
        raise Interrupted(signal_number)

    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def run_sweep(spec: StudySpec, options: RunOptions, progress) -> int:
    """`sweep run` of a per-pair study (sweep.kinds): create or join it, and run `options.workers`
    workers until it holds n_trials COMPLETE trials."""
    n_trials = options.n_trials
    prepared = load_prepared(spec.data, options.data_dir)  # before touching the storage: missing data changes nothing
    storage = open_storage(options.storage, options.heartbeat, options.outage_seconds)
    study = create_or_load(spec, storage, prepared, options)
    progress.note(f"study {spec.study.name!r} ({spec.hash[:19]}…) in {redact(options.storage)}: "
                  f"{n_trials} trials, {options.workers} worker(s)")
    fail_stale_trials(study, storage, options.heartbeat.grace)
    counts = count_states(study)
    if is_complete(counts, n_trials):
        pruned = f" and {counts['PRUNED']} pruned" if counts.get("PRUNED") else ""
        progress.say(f"study {spec.study.name!r} is complete: {counts.get('COMPLETE', 0)}{pruned} of {n_trials} trials; "
                     "nothing to do")
        return 0
    stop = patience.recorded_stop(study.user_attrs, n_trials)
    if stop is not None:
        progress.say(f"study {spec.study.name!r} stopped: {stop.describe()}; nothing to do "
                     f"(--trials above {stop.n_trials} continues)")
        return 0
    started_with = sum(count for state, count in counts.items() if state != "WAITING")
    progress.start(spec, n_trials, study.get_trials(deepcopy=False))
    watcher = _Watcher(options.storage, spec.study.name, progress)
    watcher.start()
    finished = False
    try:
        if options.workers == 1:
            with interrupts_raise():
                code = run_worker(spec, options, prepared, salt=started_with * 1024)
        else:
            code = _run_processes(spec, options, started_with)
        finished = True
        return code
    finally:
        watcher.stop()
        # after a failure the CLI's one error line is the run's last word: no summary line
        progress.close(count_states(study) if finished else None, n_trials)
        stop = patience.recorded_stop(study.user_attrs, n_trials) if finished else None
        if stop is not None:
            progress.say(f"stopped before the target: {stop.describe()}; --trials above {stop.n_trials} continues")


def _run_processes(spec: StudySpec, options: RunOptions, started_with: int) -> int:
    threads = max(1, (os.cpu_count() or 1) // options.workers)
    context = multiprocessing.get_context("spawn")
    errors = context.SimpleQueue()  # a worker's expected failure, as text, for the CLI to print
    children = [
        context.Process(
            target=_child_main,
            args=(spec, options, started_with * 1024 + index + 1, threads, logging.getLogger().level, errors),
            name=f"sweep-worker-{index}",
        )
        for index in range(options.workers)
    ]
    received = []

    def forward(signal_number, frame):
        received.append(signal_number)
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGTERM)

    previous = {number: signal.signal(number, forward) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        while any(child.is_alive() for child in children):
            for child in children:
                child.join(timeout=0.2)
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
    if received:
        raise Interrupted(received[0])
    codes = [child.exitcode for child in children]
    if any(code != 0 for code in codes):
        messages = []
        while not errors.empty():
            messages.append(errors.get())
        reasons = list(dict.fromkeys(messages))  # each distinct reason once, in order
        why = f": {'; '.join(reasons)}" if reasons else ""
        raise SweepError(f"{sum(code != 0 for code in codes)} of {options.workers} workers failed (exit codes {codes}){why}")
    return 0


def _child_main(spec, options, salt, threads, log_level, errors) -> None:
    """A worker process: its own TensorFlow with `threads` CPU threads; dies with its parent."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(threads)
    configure_logging(log_level)  # a new interpreter: it logs as its parent, the CLI, set up
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)  # orphaned: stop like a terminated worker

    threading.Thread(target=watch_parent, daemon=True).start()
    with interrupts_raise():
        try:
            code = run_worker(spec, options, load_prepared(spec.data, options.data_dir), salt)
        except Interrupted as interruption:
            code = interruption.exit_code
        except SweepError as error:
            errors.put(str(error))
            code = error.exit_code
    sys.exit(code)


class _Watcher(threading.Thread):
    """Polls the storage and hands the trials to the progress view (sees every worker, any machine)."""

    def __init__(self, url: str, study_name: str, progress):
        super().__init__(daemon=True)
        self.url, self.study_name, self.progress = url, study_name, progress
        self._stopping = threading.Event()

    def run(self):
        import optuna

        try:  # a view waits briefly for a restarting database; the workers decide whether to wait longer
            study = optuna.load_study(study_name=self.study_name,
                                      storage=open_storage(self.url, outage_seconds=2 * POLL_SECONDS))
        except Exception:
            log.debug("the progress view could not open the storage", exc_info=True)
            return
        while not self._stopping.wait(POLL_SECONDS):
            self._poll(study)
        self._poll(study)

    def _poll(self, study) -> None:
        try:
            self.progress.update(study.get_trials(deepcopy=False))
        except Exception:  # a busy or restarting database must not kill the run; the next poll retries
            log.debug("progress poll failed", exc_info=True)

    def stop(self):
        self._stopping.set()
        self.join(timeout=30)
