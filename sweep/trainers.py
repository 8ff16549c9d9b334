"""Which function trains a study's weight pairs: sweep's own, or a stand-in named by $SWEEP_TRAINER.

A study is trained by the trainer `config.run.trainer_target()` names, and records that
name with its module's version (`trainer_provenance`), so numbers from a stand-in are never
taken for measurements and a worker with another trainer is refused. Sweep's own trainer
is a plain import in `TRAINERS`; a stand-in (tests/fake_trainer.py, a plug-in) is named
"module:function" and imported by `import_trainer`, the one place a trainer is found by name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

from sweep import UsageError
from sweep.config.run import DEFAULT_TRAINER, TRAINER_VARIABLE
from sweep.trial import Trainer, train_and_evaluate

TRAINERS: dict[str, Trainer] = {DEFAULT_TRAINER: train_and_evaluate}  # by the name a study records


def trainer_named(name: str) -> Trainer:
    """The trainer a study records as `name`: a registered one, else the stand-in it imports."""
    return TRAINERS[name] if name in TRAINERS else import_trainer(name)


def import_trainer(name: str) -> Trainer:
    """The function a "module:function" name imports: how $SWEEP_TRAINER brings in a stand-in
    (the tests' fake trainer runs sweeps in seconds; a plug-in trains another model)."""
    module_name, _, function_name = name.partition(":")
    try:
        return getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise UsageError(f"${TRAINER_VARIABLE}={name} does not name a function ({error})") from None


def trainer_provenance(name: str) -> dict:
    """Which trainer produces a study's numbers: its name, module version, and whether it is sweep's own."""
    trainer_named(name)  # its module is loaded, or the name is one usage error
    module_name = name.partition(":")[0]
    package = module_name.partition(".")[0]
    version = (getattr(sys.modules[module_name], "__version__", None)
               or getattr(sys.modules[package], "__version__", None))
    if version is None:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "unversioned"
    return {"target": name, "module": module_name, "version": str(version), "real": name == DEFAULT_TRAINER}
