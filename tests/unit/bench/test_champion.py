from pathlib import Path

import pytest

from minimarket.bench.champion import TrainingSizes, throwaway_env


def test_training_sizes_are_read_from_train_val_test() -> None:
    assert TrainingSizes.parse("16,6,6") == TrainingSizes(16, 6, 6)


@pytest.mark.parametrize("text", ["16,6", "a,b,c", "2,0,1", ""])
def test_bad_training_sizes_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r"train,val,test|at least 1"):
        TrainingSizes.parse(text)


def test_the_throwaway_store_lives_under_the_work_folder(tmp_path: Path) -> None:
    env = throwaway_env(tmp_path)
    assert env["MINIMARKET_MLFLOW_URI"] == f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    assert env["MINIMARKET_VAR_DIR"] == str(tmp_path / "state")
    assert env["OMP_THREAD_LIMIT"] == "1"
