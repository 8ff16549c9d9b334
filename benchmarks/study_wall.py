"""A whole study's wall time: `sweep run studies/tutorial.toml` from a fresh storage, as a user runs it.

The tutorial study is 50 weight pairs × 2 training seeds (the three tutorial pairs among
them): 100 trainings of the tutorial's model. Each setting of --workers runs the real
command line in a fresh process with a fresh SQLite file and artifact directory (the data
cache is warm, as after `sweep data fetch`), timed from start to exit. Reported: the wall
time, the trials completed, the sum of the trainings' own seconds (build + fit +
evaluate, every seed), and what remains: process start, imports, data, storage and
model saving.

    PYTHONPATH=. python -m benchmarks.study_wall [--workers 1 2] [--out benchmarks/results/study-wall.json]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY_FILE = ROOT / "studies" / "tutorial.toml"


def run_study(workers: int) -> dict:
    import optuna

    with tempfile.TemporaryDirectory(prefix="sweep-study-wall-") as directory:
        storage = f"sqlite:///{directory}/study.db"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sweep", "run", str(STUDY_FILE), "--storage", storage, "--workers",
                        str(workers), "--artifacts", f"{directory}/artifacts", "--quiet"], check=True)
        wall = time.perf_counter() - started
        study = optuna.load_study(study_name="tutorial", storage=storage)
        complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        trainings = [run for t in complete for run in t.user_attrs["runs"]]
        training = sum(run["seconds"]["total"] for run in trainings)
        return {"workers": workers, "wall_seconds": wall, "trials_complete": len(complete),
                "trials_failed": sum(t.state == optuna.trial.TrialState.FAIL for t in study.trials),
                "trainings": len(trainings), "training_seconds": training,
                "training_seconds_per_worker": training / workers,
                "outside_training_seconds": wall - training / workers}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    runs = []
    for workers in args.workers:
        result = run_study(workers)
        runs.append(result)
        print(f"--workers {workers}: {result['wall_seconds']:.0f} s wall ({result['wall_seconds'] / 60:.1f} min), "
              f"{result['trials_complete']} trials complete, {result['trainings']} trainings, "
              f"{result['training_seconds']:.0f} s of training ({result['training_seconds_per_worker']:.0f} s per worker)",
              flush=True)
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, {"study_file": "studies/tutorial.toml", "goal_seconds": 360, "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
