"""Scan of the loss weights on a log grid: where does the trade-off between the tasks happen?

TFRS's retrieval loss is a sum over the batch (tens of thousands for 8192 rows) while the
rating MSE is about 1, so the interesting weights span orders of magnitude. This runs the
tutorial's trial (3 epochs, one seed) along two lines — rating_weight = 1 with
retrieval_weight from 1e-6 to 1, and retrieval_weight = 1 with rating_weight from 1 to
1e4 — and prints a Markdown table; the study files' ranges are chosen from it.

    scripts/scan-weights [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sweep  # noqa: F401
from sweep.config import DataConfig, ModelConfig, TrainConfig
from sweep.config import run as run_config
from sweep.data.prepared import load_prepared
from sweep.trial import train_and_evaluate

RETRIEVAL_LINE = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
RATING_LINE = [10.0, 100.0, 1e3, 1e4]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here (a result file)")
    args = parser.parse_args(argv)
    prepared = load_prepared(DataConfig(), run_config.data_dir())
    pairs = [(1.0, weight) for weight in RETRIEVAL_LINE] + [(weight, 1.0) for weight in RATING_LINE]
    print("| rating_weight | retrieval_weight | top-100 accuracy | RMSE | final rating loss | final retrieval loss |")
    print("|---|---|---|---|---|---|")
    rows = []
    for rating_weight, retrieval_weight in pairs:
        result = train_and_evaluate(rating_weight, retrieval_weight, args.seed, ModelConfig(), TrainConfig(), prepared)
        last = result.epochs[-1]
        rows.append({"rating_weight": rating_weight, "retrieval_weight": retrieval_weight, "seed": args.seed,
                     **result.metrics, "final_rating_loss": last.rating_loss,
                     "final_retrieval_loss": last.retrieval_loss})
        print(
            f"| {rating_weight:g} | {retrieval_weight:g} | {result.metrics['top_100_accuracy']:.4f} | "
            f"{result.metrics['rmse']:.4f} | {last.rating_loss:.3f} | {last.retrieval_loss:.0f} |",
            flush=True,
        )
    if args.out:
        from benchmarks.machine import write_result

        write_result(args.out, {"split": "tutorial", "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
