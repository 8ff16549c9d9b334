"""The live view of a running sweep: a progress bar and one line per finished trial (stderr)."""

from __future__ import annotations

import sys
import threading

import numpy as np

from sweep.pareto import pareto_front
from sweep.record import METHOD, TrialRecord, counts_for_front


def trial_line(trial) -> str:
    """One line describing a finished trial."""
    record = TrialRecord.from_attrs(trial.user_attrs)
    weights = f"rating_weight={record.rating_weight:.4g} retrieval_weight={record.retrieval_weight:.4g}"
    label = (f" [{record.tutorial_pair}]" if record.tutorial_pair
             else f" [method {record.method}: weights where training ended]" if record.kind == METHOD
             else f" [verifies trial {record.verifies}]" if record.verifies is not None else "")
    if trial.state.name == "COMPLETE":
        seconds = record.summary.seconds if record.summary else 0.0
        return (
            f"trial {trial.number} complete: {weights}{label}  top-100 {record.metric('top_100_accuracy'):.4f}  "
            f"RMSE {record.metric('rmse'):.4f}  ({seconds:.1f} s)"
        )
    if trial.state.name == "PRUNED":
        return f"trial {trial.number} pruned: {weights}{label}  ({record.prune_reason or 'stopped early'})"
    reason = trial.user_attrs.get("fail_reason", "worker lost (no heartbeat)")
    return f"trial {trial.number} {trial.state.name.lower()}: {weights}{label}  ({reason})"


class Progress:
    def __init__(self, quiet: bool = False, stream=None):
        self.quiet, self.stream = quiet, stream or sys.stderr  # the stderr of now, not of import time
        self._seen: set[int] = set()
        self._bar = None
        self._lock = threading.Lock()
        self._directions = ("maximize", "minimize")

    def note(self, message: str) -> None:
        """A line only the interactive view shows (--quiet leaves it out)."""
        if not self.quiet:
            self.say(message)

    def say(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def start(self, spec, n_trials: int, existing_trials=()) -> None:
        """Begin the view; trials finished before this run are counted but not listed again."""
        self._directions = spec.study.directions
        self._seen.update(t.number for t in existing_trials if t.state.name in ("COMPLETE", "FAIL", "PRUNED"))
        if not self.quiet and self.stream.isatty():  # in a log file, the per-trial lines say it all
            from tqdm import tqdm

            self._bar = tqdm(total=n_trials, desc=spec.study.name, unit="trial", file=self.stream, dynamic_ncols=True)

    def update(self, trials) -> None:
        with self._lock:
            finished = [t for t in trials if t.state.name in ("COMPLETE", "FAIL", "PRUNED") and t.number not in self._seen]
            for trial in sorted(finished, key=lambda t: t.number):
                self._seen.add(trial.number)
                if not self.quiet:
                    self.say(trial_line(trial))
            if self._bar is None:
                return
            complete = [t for t in trials if t.state.name == "COMPLETE"]
            self._bar.n = min(len(complete), self._bar.total)
            static = [t for t in complete if counts_for_front(t.state.name, t.user_attrs)]
            if static:
                values = np.array([t.values for t in static], dtype=float)
                records = [TrialRecord.from_attrs(t.user_attrs) for t in complete]
                self._bar.set_postfix_str(
                    f"front {int(pareto_front(values, self._directions).sum())}, "
                    f"best top-100 {max(r.metric('top_100_accuracy') for r in records):.4f}, "
                    f"best RMSE {min(r.metric('rmse') for r in records):.4f}",
                    refresh=False,
                )
            self._bar.refresh()

    def close(self, counts: dict | None = None, n_trials: int = 0) -> None:
        """End the view; with counts, print the run's closing summary line."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if counts is None:
            return
        summary = ", ".join(f"{count} {state.lower()}" for state, count in sorted(counts.items()))
        print(f"trials: {summary} (target {n_trials} complete)", file=self.stream, flush=True)
