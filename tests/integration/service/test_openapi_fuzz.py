"""Schemathesis against the OpenAPI the real server serves (``/api/v1/openapi.json``): for every operation, with an
admin token of its own shop and without a token, generated requests (valid and invalid) never get a 5xx, and
every answer has a documented status, content type, headers and a body matching its schema; invalid input is
refused, and without a token everything is a 401.

All of schemathesis's response checks run but ``positive_data_acceptance``: a schema cannot say what only the
library knows (that base64 holds a PDF or an image, that a CPI figure is plausible, that a SKU exists), so a
schema-valid request may rightly be refused with a 415 or a 422.

``make test`` runs a time-boxed number of cases per operation (fixed seed); ``make fuzz`` runs many more with
random seeds (``MINIMARKET_API_FUZZ_EXAMPLES``, ``MINIMARKET_FUZZ_RANDOM=1``).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import LiveServer, create_shop

EXAMPLES = int(os.environ.get("MINIMARKET_API_FUZZ_EXAMPLES", "10"))
RANDOM = os.environ.get("MINIMARKET_FUZZ_RANDOM") == "1"
SHOP = "fuzz"
STREAMS = ("/events", "/invoices/batch/{batch_id}/events")
"""Server-Sent Events: never end by themselves; read for :data:`STREAM_SECONDS` at most."""
STREAM_SECONDS = 0.5
CASES: Counter[str] = Counter()
"""Cases run per operation and token (printed by the last test: the figures of the closing note)."""


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer) -> Any:
    create_shop(live_server, SHOP)
    return schemathesis.openapi.from_url(live_server.url + "/api/v1/openapi.json")


def _prepare(case: Any) -> None:
    """Keep a case away from what it must not do here: retraining the inflation model takes minutes (tested by
    the forecasting tests), so an ``inflation/update`` records the figure without ``refit``."""
    if case.path == "/inflation/update" and isinstance(case.body, dict):
        case.body["refit"] = False


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def _authorize(case: Any, auth: str, live_server: LiveServer) -> dict[str, str]:
    """An admin token of the fuzz shop (a new one each case: the per-token rate limit stays out of the way), or
    none: the explicit headers of the call, also written into the case, so that schemathesis judges an invalid
    case by what is really sent (a case whose only flaw was a missing token is valid once the token is there)."""
    if auth != "token":
        return {}
    headers = {"Authorization": f"Bearer {live_server.token('admin', shop=SHOP)}"}
    case.headers = {**(case.headers or {}), **headers}
    return headers


def _check(case: Any, live_server: LiveServer, auth: str) -> None:
    _prepare(case)
    headers = _authorize(case, auth, live_server)
    streaming = case.path in STREAMS
    response = case.call(
        base_url=live_server.url + "/api/v1", headers=headers, timeout=STREAM_SECONDS if streaming else 120
    )
    CASES[f"{case.method.upper()} {case.path} {auth}"] += 1
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
    assert "Traceback" not in response.text
    if auth == "no-token":
        assert response.status_code == 401


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("auth", ["token", "no-token"])
def test_every_operation_conforms(api_schema: Any, live_server: LiveServer, auth: str, mode: GenerationMode) -> None:
    """Each operation of the served schema in turn; every failure of every operation is reported together."""
    failures: dict[str, str] = {}
    for operation in _operations(api_schema):

        @SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            _check(case, live_server, auth)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            failures[f"{operation.method.upper()} {operation.path}"] = f"{type(exc).__name__}: {str(exc)[:1500]}"
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_figures(api_schema: Any) -> None:
    """Print the cases run (``-s``) and check every operation of the served schema was exercised with a token and
    without one."""
    if not CASES:
        pytest.skip("the fuzz cases were not selected in this run")
    operations = {f"{op.method.upper()} {op.path}" for op in _operations(api_schema)}
    print(f"\nschemathesis: {sum(CASES.values())} cases over {len(operations)} operations")
    for key, count in sorted(CASES.items()):
        print(f"  {count:5d}  {key}")
    for auth in ("token", "no-token"):
        assert {key.rsplit(" ", 1)[0] for key in CASES if key.endswith(" " + auth)} == operations, auth
