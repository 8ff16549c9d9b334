"""What each number may be: one `Range` per kind of number, one check, before any work starts.

Every numeric setting is a field declared with `bounded(default, RANGE)` beside its default, and
both ways a number comes in are checked against that range by the same code: the study file's
keys (`check_ranges` on each validated dataclass) and the CLI's numeric flags (argparse `type=`
functions made from a Range by `sweep.cli.number`). A number that cannot mean anything in its
place — nan, ±inf, a negative count or seed, a zero where zero means nothing, a number past the
64-bit integers TOML and the storage hold — is one line naming the key or flag and the range it
accepts, instead of a traceback, a silent default or a run to the end with a meaningless setting.

0 is a value, never "unset": a setting that is not given is None. Where 0 has a meaning of its
own outside the range (a grid of 0 points: no grid), the Range names it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from sweep import UsageError

LARGEST_INTEGER = 2**63 - 1  # TOML's integers and the storage's integer columns are 64-bit
LARGEST_SEED = 2**32 - 1  # NumPy's legacy seeds: Optuna's samplers and Keras's set_random_seed take no more


@dataclass(frozen=True)
class Range:
    """Finite numbers from `low` to `high`, each end included unless open; `whole`: integers only.
    `zero`, when given, says what 0 means where 0 is allowed outside the range; `why`, why the range."""

    low: float
    high: float = math.inf
    whole: bool = False
    low_open: bool = False
    high_open: bool = False
    zero: str = ""
    why: str = ""

    def __contains__(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, int if self.whole else (int, float)):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.zero and value == 0:
            return True
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        """The range in words, as the error line for a number outside it shows it."""
        if self.whole:
            text = f"a whole number from {self.low:,} to {self.high:,}"
        elif math.isinf(self.high):
            text = f"a finite number above {self.low:g}" if self.low_open else f"a finite number, {self.low:g} or more"
        else:
            text = (f"a number from {'above ' if self.low_open else ''}{self.low:g} "
                    f"to {'below ' if self.high_open else ''}{self.high:g}")
        if self.zero:
            text = f"0 ({self.zero}) or {text}"
        return f"{text} ({self.why})" if self.why else text

    def check(self, value, where: str = "", shown: str | None = None):
        """The value, if it lies in the range; else one UsageError naming `where` and the range."""
        if value not in self:
            raise UsageError(f"{where + ': ' if where else ''}expected {self.describe()}, got {shown or _shown(value)}")
        return value

    def parse(self, text: str, where: str = ""):
        """A number typed on the command line: a whole number or a float as Python reads it, in the range."""
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            value = None
        return self.check(value, where, shown=repr(text))


def _shown(value) -> str:
    text = repr(value)
    if isinstance(value, int) and len(text) > 24:  # a float from TOML (1e308) read as a whole number
        try:
            return f"{value:.3g}"
        except OverflowError:
            return f"a {len(text)}-digit number"
    return text


COUNT = Range(1, LARGEST_INTEGER, whole=True)  # how many: trials, epochs, rows, units, titles
SEED = Range(0, LARGEST_SEED, whole=True)
POSITIVE = Range(0, low_open=True)  # a rate, a margin, a number of seconds
WEIGHT = Range(0)  # a loss weight: 0 leaves its task out
WEIGHT_RATIO = Range(0, why="retrieval_weight / rating_weight")  # 0: ratings only
WEIGHT_SCALE = Range(0, low_open=True, why="rating_weight + retrieval_weight")  # 0 would leave both tasks out
TRIAL_NUMBER = Range(0, LARGEST_INTEGER, whole=True)
RATING_FRACTION = Range(0, 1, low_open=True, why="the share of training rows that keep their rating")
VALIDATION_FRACTION = Range(0, 1, high_open=True, why="the share of training rows held out to choose on; 0: none")
SEED_COUNT = Range(1, LARGEST_SEED + 1, whole=True, why="training seeds 0 to N-1")  # `sweep baselines --seeds`
ACCURACY = Range(0, 1, why="an accuracy")  # a bound on a top-k accuracy (`sweep pick`)
PROBABILITY = Range(0, 1, low_open=True, why="a probability")  # how sure a pick must be (`sweep pick --confidence`)


def bounded(default, valid: Range):
    """A dataclass field: its default, and the Range every value of it must lie in."""
    return dataclasses.field(default=default, metadata={"range": valid})


def range_of(config_class, name: str) -> Range:
    """The Range a bounded field declares (the CLI's flag for that setting takes the same)."""
    return next(item for item in dataclasses.fields(config_class) if item.name == name).metadata["range"]


def check_ranges(config, where: str):
    """Every bounded field of a config dataclass in its range (each item of a tuple); None is not set."""
    for item in dataclasses.fields(config):
        valid, value = item.metadata.get("range"), getattr(config, item.name)
        if valid is None or value is None:
            continue
        for index, one in enumerate(value) if isinstance(value, tuple) else [(None, value)]:
            valid.check(one, f"{where}.{item.name}" + ("" if index is None else f"[{index}]"))
    return config
