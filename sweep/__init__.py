"""sweep: Optuna sweeps over the loss weights of TFRS's multi-task recommender.

TensorFlow Recommenders needs Keras 2, so the package selects tf-keras here,
before anything can import TensorFlow. Importing this package never imports TensorFlow.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ notices drown the progress view

__version__ = "0.1.0"


def import_tensorflow():
    """TensorFlow, imported with the native stderr muted: its C++ start-up notices (CUDA
    probing on a CPU machine) bypass Python logging and would garble the progress view.
    Called only where a model is built; everything else never imports TensorFlow."""
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return tensorflow


class SweepError(Exception):
    """An expected failure: the CLI prints it as one line and exits with `exit_code`."""

    exit_code = 1


class UsageError(SweepError):
    """Bad input from the user (a study file, a flag): exit code 2."""

    exit_code = 2
