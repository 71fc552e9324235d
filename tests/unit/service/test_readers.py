"""The service's reader holder: pandas is imported before a watching holder serves (no half-imported pandas
for BentoML's batching when the champion watch imports MLflow later)."""

from __future__ import annotations

import os
import subprocess
import sys


def _pandas_after(watch: bool) -> bool:
    code = (
        "import sys\n"
        "from minimarket.config import get_settings\n"
        "from minimarket.service.readers import ReaderHolder\n"
        "assert 'pandas' not in sys.modules, 'imported before the holder'\n"
        f"holder = ReaderHolder(get_settings(), poll_seconds=3600, watch={watch})\n"
        "holder.stop()\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().endswith("True")


def test_a_watching_holder_imports_pandas_before_it_serves(isolated_state: object) -> None:
    assert _pandas_after(watch=True)


def test_a_holder_without_watch_leaves_pandas_alone(isolated_state: object) -> None:
    assert not _pandas_after(watch=False)
