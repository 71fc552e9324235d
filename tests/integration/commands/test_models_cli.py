"""`minimarket models list|promote` on a real (temporary) MLflow registry."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from minimarket.cli import app
from minimarket.tracking import CHAMPION, alias_version, register, set_experiment

runner = CliRunner()


@pytest.fixture
def two_versions() -> str:
    import mlflow
    import mlflow.pyfunc

    class Model(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return [1.0] * len(model_input)  # a constant model: the registry is what is under test

    set_experiment("test-models-cli")
    for _ in range(2):
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(name="model", python_model=Model(), pip_requirements=["mlflow"])
        register(info.model_uri, "demand-forecaster")
    return "demand-forecaster"


def test_list_and_manual_promotion(two_versions: str) -> None:
    listed = json.loads(runner.invoke(app, ["models", "list", "--json"]).output)
    assert [m["name"] for m in listed] == [two_versions]
    assert [v["version"] for v in listed[0]["versions"]] == ["1", "2"]

    result = runner.invoke(app, ["models", "promote", two_versions, "1", "--reason", "rollback: v2 drifted"])
    assert result.exit_code == 0, result.output
    assert alias_version(two_versions, CHAMPION) == "1"
    tags = json.loads(runner.invoke(app, ["models", "list", "--json"]).output)[0]["versions"][0]["tags"]
    assert tags["manual_promotion_reason"] == "rollback: v2 drifted"
    assert "champion=v1" in runner.invoke(app, ["models", "list"]).output


def test_promote_unknown_version_is_a_clear_error(two_versions: str) -> None:
    result = runner.invoke(app, ["models", "promote", two_versions, "9", "--reason", "x"])
    assert result.exit_code == 1 and "not found" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["models", "promote", two_versions, "uno", "--reason", "x"])
    assert result.exit_code == 2
