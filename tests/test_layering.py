"""The package's layers, read from its source: every import statement, lazy ones included.

report never reaches into training; the trainer, training, evaluation, the models and the
data know nothing of studies; evaluation knows nothing of training; Optuna stays in the modules that run or read studies; nothing imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sweep"
OPTUNA_USERS = ("sweep.study", "sweep.per_pair", "sweep.conditioned_study", "sweep.storage", "sweep.optuna_gaps", "sweep.artifacts",
                "sweep.workers", "sweep.report", "sweep.logs")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module an import statement in the file names; `from a import b` counts as a and a.b."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


MODULES = {module_name(path): imported_names(path) for path in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, *owners: str) -> bool:
    return any(name == owner or name.startswith(owner + ".") for owner in owners)


def offenders(modules, forbidden) -> dict:
    found = {}
    for module in modules:
        bad = sorted(name for name in MODULES[module] if within(name, *forbidden))
        if bad:
            found[module] = bad
    return found


def test_the_walk_sees_the_whole_package_and_lazy_imports():
    assert {"sweep.cli", "sweep.report.plots", "sweep.data.prepared", "sweep.config.run"} <= set(MODULES)
    assert "sweep.model" in MODULES["sweep.trial"]  # imported inside train_and_evaluate, still seen


def test_report_never_imports_the_model_the_trial_or_tensorflow():
    report = [module for module in MODULES if within(module, "sweep.report")]
    assert offenders(report, ["sweep.model", "sweep.conditioned", "sweep.trial", "sweep.training", "sweep.evaluation",
                              "tensorflow", "tensorflow_recommenders"]) == {}


@pytest.mark.parametrize("layer", ["sweep.trial", "sweep.training", "sweep.evaluation", "sweep.model",
                                   "sweep.conditioned", "sweep.data"])
def test_training_and_data_know_nothing_of_studies_or_optuna(layer):
    modules = [module for module in MODULES if within(module, layer)]
    assert offenders(modules, ["sweep.study", "sweep.per_pair", "sweep.conditioned_study", "sweep.workers", "optuna"]) == {}


def test_evaluation_knows_nothing_of_how_a_model_was_built_or_trained():
    assert offenders(["sweep.evaluation"], ["sweep.training", "sweep.trial", "sweep.model", "sweep.conditioned"]) == {}


def test_only_the_modules_that_run_or_read_studies_import_optuna():
    others = [module for module in MODULES if not within(module, *OPTUNA_USERS)]
    assert offenders(others, ["optuna"]) == {}


def test_nothing_imports_the_cli_but_the_entry_point():
    others = [module for module in MODULES if module != "sweep.__main__"]
    assert offenders(others, ["sweep.cli"]) == {}
