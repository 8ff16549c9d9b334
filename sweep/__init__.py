"""sweep: Optuna sweeps over the loss weights of TFRS's multi-task recommender.

TensorFlow Recommenders needs Keras 2, so the package selects tf-keras here,
before anything can import TensorFlow. Nothing in this file imports TensorFlow.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ notices drown the progress view

__version__ = "0.1.0"


class SweepError(Exception):
    """An expected failure: the CLI prints it as one line and exits with `exit_code`."""

    exit_code = 1


class UsageError(SweepError):
    """Bad input from the user (a study file, a flag): exit code 2."""

    exit_code = 2
