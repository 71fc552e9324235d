"""Per-category shop policies: the service level behind reorder points and the markup behind shelf prices.

One place a user configures: ``data/raw/catalog/policies.csv`` (or ``MINIMARKET_POLICIES_FILE``), columns
``category,service_level,markup_pct`` — e.g. ``Lácteos,0.97,28`` means 97 % of lead-time demand covered
and cost + 28 % before VAT. An optional column ``min_margin_pct`` is the least a shelf price may earn over cost
(``Lácteos,0.97,28,14``: never below cost + 14 %, whatever the rounding). Categories not listed use
``Settings.default_service_level``, ``Settings.default_markup_pct`` and ``Settings.default_min_margin_pct``. Any
column may be left empty for a category (the default applies).
The CLI flags (``--service-level``, ``--markup``) override single categories on top of the file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from minimarket.config import get_settings

COLUMNS = ("category", "service_level", "markup_pct")
OPTIONAL_COLUMNS = ("min_margin_pct",)


class PolicyError(ValueError):
    """The policies file or an override is invalid (the message says where and what is accepted)."""


def _service_level(value: str, where: str) -> float:
    try:
        level = float(value)
    except ValueError:
        raise PolicyError(f"{where}: service level {value!r} is not a number (use e.g. 0.95)") from None
    if not 0.5 <= level < 1.0:
        raise PolicyError(f"{where}: service level {value!r} must be in [0.5, 1), e.g. 0.95")
    return level


def _markup(value: str, where: str) -> Decimal:
    try:
        pct = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise PolicyError(f"{where}: markup {value!r} is not a number (percent, e.g. 35)") from None
    if not Decimal(0) <= pct <= Decimal(500):
        raise PolicyError(f"{where}: markup {value!r} must be between 0 and 500 (percent)")
    return pct / 100


@dataclass(frozen=True)
class ShopPolicies:
    """Service levels (fractions) and markups (fractions: 0.35 = 35 %) per category, with defaults."""

    service_levels: Mapping[str, float] = field(default_factory=dict)
    markups: Mapping[str, Decimal] = field(default_factory=dict)
    default_service_level: float = 0.95
    default_markup: Decimal = Decimal("0.35")
    source: str = "defaults"
    min_margins: Mapping[str, Decimal] = field(default_factory=dict)
    default_min_margin: Decimal = Decimal("0.10")

    def service_level(self, category: str | None) -> float:
        return self.service_levels.get(category or "", self.default_service_level)

    def markup(self, category: str | None) -> Decimal:
        return self.markups.get(category or "", self.default_markup)

    def min_margin(self, category: str | None) -> Decimal:
        """The least a shelf price may earn over cost (fraction: 0.14 = cost + 14 %)."""
        return self.min_margins.get(category or "", self.default_min_margin)

    def with_overrides(
        self,
        service_levels: Iterable[str] = (),
        markups: Iterable[str] = (),
        default_service_level: float | None = None,
        default_markup_pct: float | None = None,
        min_margins: Iterable[str] = (),
    ) -> ShopPolicies:
        """A copy with ``CATEGORY=VALUE`` overrides (service level as a fraction, markup in percent)."""
        levels = dict(self.service_levels)
        for item in service_levels:
            category, value = _split(item, "--service-level", "Lácteos=0.97")
            levels[category] = _service_level(value, f"--service-level {item!r}")
        marks = dict(self.markups)
        for item in markups:
            category, value = _split(item, "--markup", "Lácteos=28")
            marks[category] = _markup(value, f"--markup {item!r}")
        default_level = self.default_service_level
        if default_service_level is not None:
            default_level = _service_level(str(default_service_level), "--default-service-level")
        default_markup = self.default_markup
        if default_markup_pct is not None:
            default_markup = _markup(str(default_markup_pct), "--default-markup")
        floors = dict(self.min_margins)
        for item in min_margins:
            category, value = _split(item, "--min-margin", "Lácteos=14")
            floors[category] = _markup(value, f"--min-margin {item!r}")
        return replace(
            self,
            service_levels=levels,
            markups=marks,
            default_service_level=default_level,
            default_markup=default_markup,
            min_margins=floors,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "default_service_level": self.default_service_level,
            "default_markup_pct": str(self.default_markup * 100),
            "service_levels": dict(self.service_levels),
            "markups_pct": {k: str(v * 100) for k, v in self.markups.items()},
            "default_min_margin_pct": str(self.default_min_margin * 100),
            "min_margins_pct": {k: str(v * 100) for k, v in self.min_margins.items()},
        }


def _split(item: str, flag: str, example: str) -> tuple[str, str]:
    category, sep, value = item.rpartition("=")
    if not sep or not category.strip() or not value.strip():
        raise PolicyError(f"{flag} expects CATEGORY=VALUE (e.g. '{example}'), got {item!r}")
    return category.strip(), value.strip()


def read_policies(path: Path) -> ShopPolicies:
    """Read a policies CSV (UTF-8, ``category,service_level,markup_pct``); defaults from the Settings."""
    settings = get_settings()
    levels: dict[str, float] = {}
    markups: dict[str, Decimal] = {}
    floors: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise PolicyError(f"{path.name}: missing column(s) {missing}; expected {list(COLUMNS)}, found {header}")
        for number, row in enumerate(reader, start=2):
            where = f"{path.name} line {number}"
            category = (row.get("category") or "").strip()
            if not category:
                raise PolicyError(f"{where}: empty category")
            if category in levels or category in markups:
                raise PolicyError(f"{where}: category {category!r} appears twice")
            level = (row.get("service_level") or "").strip()
            markup = (row.get("markup_pct") or "").strip()
            if level:
                levels[category] = _service_level(level, where)
            if markup:
                markups[category] = _markup(markup, where)
            floor = (row.get("min_margin_pct") or "").strip()
            if floor:
                floors[category] = _markup(floor, where)
    return ShopPolicies(
        service_levels=levels,
        markups=markups,
        default_service_level=settings.default_service_level,
        default_markup=Decimal(str(settings.default_markup_pct)) / 100,
        source=str(path),
        min_margins=floors,
        default_min_margin=Decimal(str(settings.default_min_margin_pct)) / 100,
    )


def load_policies(path: Path | None = None) -> ShopPolicies:
    """The configured policies: ``path``, else ``Settings.policies_path``. A missing bundled file means
    defaults only; a missing file that was asked for explicitly is an error."""
    settings = get_settings()
    chosen = path or settings.policies_path
    if not chosen.is_file():
        if path is not None or settings.policies_file is not None:
            raise PolicyError(f"policies file not found: {chosen} (columns: {', '.join(COLUMNS)})")
        return ShopPolicies(
            default_service_level=settings.default_service_level,
            default_markup=Decimal(str(settings.default_markup_pct)) / 100,
            default_min_margin=Decimal(str(settings.default_min_margin_pct)) / 100,
        )
    return read_policies(chosen)
