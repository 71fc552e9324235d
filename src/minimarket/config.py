"""One Settings object: paths derived from the repo root, every limit in one place.

Values come from the environment (prefix ``MINIMARKET_``) or an optional ``.env`` file at the repo root.
Paths never depend on the current working directory: papermill under DVC runs from the repo root and
nbmake runs from the notebook's folder, and both must see the same files.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _find_repo_root() -> Path:
    """The folder holding ``pyproject.toml`` above this package (editable install), else the CWD."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "minimarket").is_dir():
            return parent
    return Path.cwd().resolve()


REPO_ROOT = _find_repo_root()


def cpu_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's share): the default number of
    reader processes, each running Tesseract on one thread."""
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 64))
    except (AttributeError, OSError):
        return max(1, min(os.cpu_count() or 1, 64))


class Settings(BaseSettings):
    """Runtime configuration of minimarket."""

    model_config = SettingsConfigDict(
        env_prefix="MINIMARKET_",
        env_file=str(REPO_ROOT / ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- locations -------------------------------------------------------------------------------
    root: Path = REPO_ROOT
    var_dir: Path | None = Field(default=None, description="Runtime state (database, uploads, jobs).")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite file by default.")
    mlflow_uri: str | None = Field(default=None, description="MLflow tracking URI; local SQLite by default.")

    # --- several API replicas on one PostgreSQL -------------------------------------------
    db_pool_size: int = Field(default=5, ge=1, le=200, description="PostgreSQL: connections kept per process.")
    db_max_overflow: int = Field(default=10, ge=0, le=200, description="PostgreSQL: extra connections at peaks.")
    db_pool_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="PostgreSQL: longest wait for a free pooled connection."
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit windows live: 'memory://' (one replica) or 'redis://host:port/db' (shared).",
    )
    batch_lease_seconds: float = Field(
        default=30.0,
        ge=2,
        le=3600,
        description="A replica's claim on a batch document; renewed while it works, taken over when it lapses.",
    )

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_rate_limit_storage(cls, value: str) -> str:
        value = value.strip()
        if value == "memory://" or value.startswith(("redis://", "rediss://")):
            return value
        raise ValueError(
            f"MINIMARKET_RATE_LIMIT_STORAGE={value!r} is not accepted: use 'memory://' (one replica) or "
            "'redis://host:port/db' (several replicas sharing their limits)"
        )

    # --- tenancy ---------------------------------------------------------------------------------
    default_shop_code: str = "default"
    default_shop_name: str = "Mi almacén"

    # --- document limits ---------------------------------------------------------------------------
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 60_000_000
    decode_memory_mb: int = Field(
        default=768,
        ge=64,
        description="Memory budget to decode and read one image document (every frame, at the decoder's bytes per "
        "pixel, plus the working copies a page needs); a file that would need more is refused from its header.",
    )
    max_pdf_pages: int = 30
    max_batch_size: int = Field(default=50, ge=1, description="Documents in one POST invoices/batch (422 over it).")
    ocr_timeout_seconds: float = 60.0
    extract_timeout_seconds: float = 120.0
    render_dpi: int = 300
    ocr_language: str = "spa"
    ocr_deblur: bool = Field(
        default=True,
        description="Read a blurred phone photo's text and QR with its blur taken out (more right, 1.5-3 s more).",
    )

    # --- reconciliation -----------------------------------------------------------------------------
    total_tolerance: str = "0.05"
    """Largest absolute difference (ARS) accepted between printed totals and recomputed sums."""

    # --- service -----------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 3000
    api_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="Seconds an idle client connection stays open: longer than a client's or a proxy's own idle "
        "time (nginx: 60 s), so the client closes first and never writes into a connection the server just closed.",
    )
    rate_limit_per_minute: int = 120
    request_timeout_seconds: float = 120.0
    # --- service (owned by minimarket.service) ----------------------------------------------
    rate_limit_per_minute_ip: int = Field(default=600, ge=1, description="Requests a minute from one address.")
    reader_workers: int = Field(
        default_factory=cpu_cores,
        ge=1,
        le=64,
        description="Reader processes of the service (one reader each; default: one per core).",
    )
    reader_niceness: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the readers' CPU priority is than the API's: OCR yields the cores to reads "
        "(search, alerts, dashboards) and still takes every idle cycle.",
    )
    extract_max_batch: int = Field(
        default=4, ge=2, description="Documents of batch jobs sent at once per reader process (they wait in the API)."
    )
    demand_max_batch: int = Field(default=64, ge=2, description="Adaptive batching: demand requests served together.")
    demand_max_latency_ms: int = Field(default=5_000, ge=10)
    batch_budget_seconds: float = Field(default=300.0, gt=0, description="Total time a batch job may take.")
    max_batch_request_bytes: int = Field(default=200 * 1024 * 1024, description="Largest POST invoices/batch body.")
    max_search_text: int = Field(default=200, ge=1, description="Longest free-text search (characters).")
    jwt_audience: str = "minimarket-api"
    token_ttl_days: float = Field(default=30.0, gt=0, description="Default lifetime of a token.")
    key_grace_days: float = Field(default=30.0, ge=0, description="Days the previous signing key is still accepted.")
    callback_allow_hosts: list[str] = Field(
        default_factory=list,
        description="Private hosts or networks (CIDR) a callback_url may use; public ones are always allowed.",
    )
    callback_attempts: int = Field(default=5, ge=1, le=20)
    callback_backoff_seconds: float = Field(default=2.0, ge=0)
    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    events_poll_seconds: float = Field(default=1.0, gt=0, description="How often an SSE stream looks for new events.")
    champion_poll_seconds: float = Field(default=30.0, gt=0, description="How often the service looks for promotions.")

    # --- Dask: bulk extraction and per-shop backtests on a cluster ---------------------------
    dask_scheduler: str | None = Field(
        default=None,
        description="Address of a Dask scheduler (tcp://host:8786) for --dask; none: a LocalCluster on this machine.",
    )
    dask_connect_timeout_seconds: float = Field(
        default=10.0, gt=0, le=600, description="How long --dask waits for the scheduler before giving up."
    )
    dask_workers: int = Field(
        default_factory=cpu_cores,
        ge=1,
        le=64,
        description="Worker processes of the LocalCluster (one reader and one thread each; default: one per core).",
    )

    # --- forecasting / pricing -------------------------------------------------------------------------
    inflation_guard_factor: float = 1.5
    inflation_hard_min_pct: float = -5.0
    inflation_hard_max_pct: float = 60.0

    # --- forecasting models and shop policies ---------------------------------------------------------
    inflation_calibration_months: int = Field(
        default=24, ge=6, le=120, description="Past origins whose errors calibrate the inflation intervals/guard."
    )
    inflation_gate_eval_start: str = Field(
        default="2019-01", description="First target month (YYYY-MM) of the inflation promotion gate's backtest."
    )
    policies_file: Path | None = Field(
        default=None, description="Per-category service level and markup CSV (default data/raw/catalog/policies.csv)."
    )
    default_service_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    default_markup_pct: float = Field(default=35.0, ge=0.0, le=500.0)
    default_min_margin_pct: float = Field(
        default=10.0, ge=0.0, le=500.0, description="Least a shelf price earns over cost, in percent."
    )
    shelf_price_rule: Literal["10", "50", "100", "9", "90", "99"] = Field(
        default="10", description="The shop's precio redondo: multiples of 10, 50 or 100, or ending in 9, 90 or 99."
    )

    # --- model registry ---------------------------------------------------------------------------------
    gate_min_eval_size: int = Field(
        default=10,
        ge=1,
        description="Smallest evaluation set (documents, months, series) on which the gate may move champion.",
    )

    # --- monitoring --------------------------------------------------------------------------------
    drift_threshold: float = 0.5

    # --- operations (owned by minimarket.ops) -----------------------------------------------
    pipelines_dir: Path | None = Field(default=None, description="Scheduled pipelines (default pipelines/).")
    schedule_timezone: str = Field(
        default="America/Argentina/Buenos_Aires", description="Zone of a pipeline's cron line unless it names one."
    )
    backup_dir: Path | None = Field(default=None, description="Where backups are written (default var/backups).")
    backup_keep: int = Field(default=14, ge=1, description="Backups kept by `minimarket backup prune`.")
    cpi_feed: str | None = Field(
        default=None, description="CSV (path or http(s) URL) with month,pct[,source]; default var/inbox/cpi.csv."
    )
    mlflow_backend_url: str | None = Field(
        default=None, description="The MLflow server's database (backups), when MLflow runs as a server."
    )
    mlflow_artifacts_dir: Path | None = Field(
        default=None, description="The MLflow server's artifact folder (backups), when MLflow runs as a server."
    )

    # --- derived paths -------------------------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        """Where runtime state lives (``var/`` under the repo root unless configured)."""
        return (self.var_dir or self.root / "var").resolve()

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def samples_dir(self) -> Path:
        return self.data_dir / "samples"

    @property
    def generated_dir(self) -> Path:
        return self.data_dir / "generated"

    @property
    def cpi_dir(self) -> Path:
        return self.raw_dir / "cpi"

    @property
    def catalog_dir(self) -> Path:
        return self.raw_dir / "catalog"

    @property
    def policies_path(self) -> Path:
        """Per-category service levels and markups: ``policies_file`` or the bundled CSV."""
        return self.policies_file or self.catalog_dir / "policies.csv"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def mlruns_dir(self) -> Path:
        return self.root / "mlruns"

    @property
    def bentoml_home(self) -> Path:
        return self.root / "bentos"

    @property
    def secrets_dir(self) -> Path:
        """Keys generated on first use (token signing, callback signing), mode 0700/0600."""
        return self.state_dir / "secrets"

    @property
    def documents_dir(self) -> Path:
        """Uploaded documents kept by their SHA-256 (batch jobs, page images for review)."""
        return self.state_dir / "documents"

    @property
    def pipelines_path(self) -> Path:
        """The scheduled pipelines, one YAML file each (``pipelines_dir`` or ``pipelines/``)."""
        return self.pipelines_dir or self.root / "pipelines"

    @property
    def backups_path(self) -> Path:
        """Backups (``backup_dir`` or ``var/backups``)."""
        return (self.backup_dir or self.state_dir / "backups").resolve()

    @property
    def cpi_feed_location(self) -> str:
        """Where the scheduled CPI update looks for the month's figure (``cpi_feed`` or ``var/inbox/cpi.csv``)."""
        return self.cpi_feed or str(self.state_dir / "inbox" / "cpi.csv")

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in use: ``MINIMARKET_DATABASE_URL`` or the SQLite file under ``var/``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'minimarket.db'}"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking URI: ``MINIMARKET_MLFLOW_URI`` or ``sqlite:///<repo>/mlruns/mlflow.db``."""
        if self.mlflow_uri:
            return self.mlflow_uri
        return f"sqlite:///{self.mlruns_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.mlruns_dir / "artifacts"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
