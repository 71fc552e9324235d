"""Reconcile ARCA's received-invoices export with the invoices the shop loaded.

Rows and stored invoices are matched by fiscal key (issuer CUIT, AFIP code, point of sale, number), then:

- **missing_in_store**: ARCA lists the invoice but the shop never loaded it (ask the supplier for the paper);
- **missing_in_arca**: loaded, not in ARCA — a possibly apocryphal or cancelled invoice, the strongest forensic
  flag a shop can have (only loaded invoices of the reconciled period, not rejected ones);
- **amount_mismatch**: matched, but a field differs by more than a cent (date, total, net, VAT — per rate when
  the export has it —, exempt, not taxed, other taxes, currency, exchange rate, CAE). B and C invoices do not
  discriminate VAT: ARCA carries only their total (and other taxes), so only those are compared;
- **duplicates**: the same key twice in the export, or the same invoice loaded twice (a second stored invoice
  whose key differs in one field from a matched one, with the same issuer, date and total);
- **key_mismatch**: an unmatched row and an unmatched stored invoice of the same issuer with the same total whose
  keys differ in one field — most likely a misread (or mistyped) number, type or point of sale; reported as such
  rather than as one missing invoice on each side. A stored invoice whose key the reader could not read whole
  (still in review) is paired the same way on the fields it has;
- **incomplete_key**: a stored invoice of the period (dated) without a whole key and no row it could be: it cannot be
  looked up in ARCA until its review is finished (not reported as missing in ARCA, which it may not be);
- **corrected_keys**: stored invoices whose key fields a person corrected by hand (from a photo, usually), with
  whether ARCA confirms the corrected key.

Pure: the export's rows and a view of the stored invoices in, a :class:`Reconciliation` out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from minimarket.accounting.arca_export import ArcaExport, ArcaRow, FiscalKey
from minimarket.accounting.periods import Period
from minimarket.domain.afip import DOCUMENT_TYPES
from minimarket.domain.invoice import Invoice
from minimarket.domain.money import format_ars

__all__ = ["TOLERANCE", "Finding", "Reconciliation", "StoredInvoice", "reconcile"]

TOLERANCE = Decimal("0.01")
"""Amounts within a cent agree (ARCA and the invoice round the same way)."""
RATE_TOLERANCE = Decimal("0.0001")
NEAR_DAYS = 3
"""A probable misread key: same issuer and total, issued within this many days."""

KEY_FIELDS = ("issuer_cuit", "afip_code", "point_of_sale", "number")


@dataclass(frozen=True)
class StoredInvoice:
    """What the reconciliation needs of a stored invoice (built by :mod:`minimarket.store.accounting`)."""

    invoice_id: int
    issuer_cuit: str | None
    afip_code: int | None
    point_of_sale: int | None
    number: int | None
    issue_date: dt.date | None
    total: Decimal | None
    status: str
    issuer_name: str | None = None
    cae: str | None = None
    currency: str | None = "PES"
    exchange_rate: Decimal | None = Decimal(1)
    net_amount: Decimal | None = None
    exempt_amount: Decimal | None = None
    untaxed_amount: Decimal | None = None
    vat: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()
    """(rate, base, amount) per VAT line."""
    other_taxes: Decimal | None = None
    source_file: str | None = None
    key_sources: dict[str, str] = field(default_factory=dict)
    corrected_key: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """Key fields a person corrected: field → (value read, value now)."""

    @classmethod
    def from_invoice(cls, invoice: Invoice, invoice_id: int, status: str = "accepted", **extra: Any) -> StoredInvoice:
        """The view of an invoice in the extraction contract (tests, benchmarks, unsaved invoices)."""
        return cls(
            invoice_id=invoice_id,
            issuer_cuit=invoice.issuer_cuit,
            afip_code=invoice.afip_code,
            point_of_sale=invoice.point_of_sale,
            number=invoice.number,
            issue_date=invoice.issue_date,
            total=invoice.total,
            status=status,
            issuer_name=invoice.issuer_name,
            cae=invoice.cae,
            currency=invoice.currency or "PES",
            exchange_rate=invoice.exchange_rate,
            net_amount=invoice.net_amount,
            exempt_amount=invoice.exempt_amount,
            untaxed_amount=invoice.untaxed_amount,
            vat=tuple((Decimal(v.rate), v.base, v.amount) for v in invoice.vat),
            other_taxes=invoice.other_taxes_total if invoice.other_taxes else None,
            **extra,
        )

    @property
    def key(self) -> FiscalKey | None:
        if self.issuer_cuit is None or self.afip_code is None or self.point_of_sale is None or self.number is None:
            return None
        return (self.issuer_cuit, self.afip_code, self.point_of_sale, self.number)

    @property
    def vat_total(self) -> Decimal:
        return sum((amount for _, _, amount in self.vat), Decimal(0))


@dataclass(frozen=True)
class Finding:
    """One entry of the report: the fiscal key, the rows/invoices involved and why (Spanish)."""

    kind: str
    key: FiscalKey | None
    detail: str
    invoice_ids: tuple[int, ...] = ()
    arca_lines: tuple[int, ...] = ()
    issuer_name: str | None = None
    issue_date: dt.date | None = None
    total: Decimal | None = None
    fields: tuple[dict[str, Any], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        if self.key is not None:
            cuit, code, pos, number = self.key
        else:  # a key read in part: what was read
            cuit, code, pos, number = (self.extra.get("store_key", {}).get(name) for name in KEY_FIELDS)
        out: dict[str, Any] = {
            "issuer_cuit": cuit,
            "afip_code": code,
            "point_of_sale": pos,
            "number": number,
            "issuer_name": self.issuer_name,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "total": None if self.total is None else str(self.total),
            "invoice_ids": list(self.invoice_ids),
            "arca_lines": list(self.arca_lines),
            "detail": self.detail,
        }
        if self.fields:
            out["fields"] = list(self.fields)
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Reconciliation:
    """The outcome of one reconciliation (``as_dict`` is the JSON the CLI prints and the API answers)."""

    export: dict[str, Any]
    period: str | None
    date_from: dt.date | None
    date_to: dt.date | None
    matched: int
    missing_in_store: list[Finding]
    missing_in_arca: list[Finding]
    amount_mismatch: list[Finding]
    duplicates: list[Finding]
    key_mismatch: list[Finding]
    corrected_keys: list[Finding]
    outside_period: int = 0
    incomplete_key: list[Finding] = field(default_factory=list)

    @property
    def flags(self) -> int:
        """Entries that need the shop's attention (corrected keys ARCA confirms are not flags)."""
        return (
            len(self.missing_in_store)
            + len(self.missing_in_arca)
            + len(self.amount_mismatch)
            + len(self.duplicates)
            + len(self.key_mismatch)
            + len(self.incomplete_key)
        )

    def counts(self) -> dict[str, int]:
        return {
            "matched": self.matched,
            "missing_in_store": len(self.missing_in_store),
            "missing_in_arca": len(self.missing_in_arca),
            "amount_mismatch": len(self.amount_mismatch),
            "duplicates": len(self.duplicates),
            "key_mismatch": len(self.key_mismatch),
            "corrected_keys": len(self.corrected_keys),
            "incomplete_key": len(self.incomplete_key),
            "outside_period": self.outside_period,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "missing_in_store": [f.as_dict() for f in self.missing_in_store],
            "missing_in_arca": [f.as_dict() for f in self.missing_in_arca],
            "amount_mismatch": [f.as_dict() for f in self.amount_mismatch],
            "duplicates": [f.as_dict() for f in self.duplicates],
            "key_mismatch": [f.as_dict() for f in self.key_mismatch],
            "corrected_keys": [f.as_dict() for f in self.corrected_keys],
            "incomplete_key": [f.as_dict() for f in self.incomplete_key],
            "summary": {
                **self.counts(),
                "flags": self.flags,
                "period": self.period,
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
            },
            "export": self.export,
        }

    def findings(self) -> list[Finding]:
        """Every entry, in the order of the report (for CSV exports and dashboards)."""
        return [
            *self.missing_in_store,
            *self.missing_in_arca,
            *self.amount_mismatch,
            *self.duplicates,
            *self.key_mismatch,
            *self.incomplete_key,
            *self.corrected_keys,
        ]


# --- helpers ------------------------------------------------------------------------------------------------------


def _label(key: FiscalKey | None) -> str:
    if key is None:
        return "comprobante sin clave completa"
    doc = DOCUMENT_TYPES.get(key[1])
    name = doc.name if doc else f"tipo {key[1]}"
    return f"{name} {key[2]:05d}-{key[3]:08d}"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else format_ars(value)


def _differs(a: Decimal | None, b: Decimal | None, tolerance: Decimal = TOLERANCE) -> bool:
    return abs((a or Decimal(0)) - (b or Decimal(0))) > tolerance


def _field(name: str, label: str, arca: Any, store: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"field": name, "label": label, "arca": _json(arca), "store": _json(store)}
    if isinstance(arca, Decimal | None) and isinstance(store, Decimal | None) and (arca or store) is not None:
        entry["difference"] = str((arca or Decimal(0)) - (store or Decimal(0)))
    return entry


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _vat_by_rate(invoice: StoredInvoice) -> dict[Decimal, tuple[Decimal, Decimal]]:
    out: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for rate, base, amount in invoice.vat:
        known = out.get(rate, (Decimal(0), Decimal(0)))
        out[rate] = (known[0] + base, known[1] + amount)
    return out


def _rate_label(rate: Decimal) -> str:
    return format(rate.normalize(), "f").replace(".", ",")


def _compare(row: ArcaRow, invoice: StoredInvoice) -> list[dict[str, Any]]:
    """The fields in which ARCA's row and the stored invoice differ."""
    diffs: list[dict[str, Any]] = []
    if invoice.issue_date is not None and invoice.issue_date != row.issue_date:
        diffs.append(_field("issue_date", "fecha de emisión", row.issue_date, invoice.issue_date))
    if row.cae is not None and invoice.cae is not None and row.cae != invoice.cae:
        diffs.append(_field("cae", "CAE", row.cae, invoice.cae))
    currency = invoice.currency or "PES"
    if row.currency != currency:
        diffs.append(_field("currency", "moneda", row.currency, currency))
    elif (
        currency != "PES"
        and invoice.exchange_rate is not None
        and _differs(row.exchange_rate, invoice.exchange_rate, RATE_TOLERANCE)
    ):
        diffs.append(_field("exchange_rate", "tipo de cambio", row.exchange_rate, invoice.exchange_rate))
    if _differs(row.total, invoice.total):
        diffs.append(_field("total", "total", row.total, invoice.total))
    if row.other_taxes is not None and _differs(row.other_taxes, invoice.other_taxes):
        diffs.append(_field("other_taxes", "otros tributos", row.other_taxes, invoice.other_taxes))
    if not row.discriminates_vat:
        return diffs
    if row.net_taxed is not None and _differs(row.net_taxed, invoice.net_amount):
        diffs.append(_field("net_taxed", "neto gravado", row.net_taxed, invoice.net_amount))
    if row.net_untaxed is not None and _differs(row.net_untaxed, invoice.untaxed_amount):
        diffs.append(_field("net_untaxed", "neto no gravado", row.net_untaxed, invoice.untaxed_amount))
    if row.exempt is not None and _differs(row.exempt, invoice.exempt_amount):
        diffs.append(_field("exempt", "exento", row.exempt, invoice.exempt_amount))
    if row.vat_total is not None and _differs(row.vat_total, invoice.vat_total):
        diffs.append(_field("vat_total", "IVA total", row.vat_total, invoice.vat_total))
    if row.vat_by_rate is not None:
        stored = _vat_by_rate(invoice)
        for rate in sorted(set(row.vat_by_rate) | set(stored)):
            base, amount = row.vat_by_rate.get(rate, (None, None))
            s_base, s_amount = stored.get(rate, (None, None))
            label = _rate_label(rate)
            if _differs(amount, s_amount):
                diffs.append(_field(f"vat_{label}", f"IVA {label} %", amount, s_amount))
            if _differs(base, s_base):
                diffs.append(_field(f"net_{label}", f"neto gravado al {label} %", base, s_base))
    return diffs


def _mismatch_detail(key: FiscalKey, diffs: Sequence[dict[str, Any]]) -> str:
    parts = []
    for d in diffs:
        arca, store = d["arca"], d["store"]
        if "difference" in d:
            arca = _money(None if arca is None else Decimal(arca))
            store = _money(None if store is None else Decimal(store))
        parts.append(f"{d['label']}: ARCA {arca}, cargado {store}")
    return f"{_label(key)}: " + "; ".join(parts) + "."


def _key_difference(a: FiscalKey, b: FiscalKey) -> list[str]:
    return [name for name, x, y in zip(KEY_FIELDS, a, b, strict=True) if x != y]


def _near(row: ArcaRow, invoice: StoredInvoice) -> list[str] | None:
    """The one key field in which they differ (or the key fields not read), if the row and the invoice are probably
    the same paper."""
    if invoice.total is None or _differs(row.total, invoice.total):
        return None
    if invoice.issue_date is not None and abs((invoice.issue_date - row.issue_date).days) > NEAR_DAYS:
        return None
    key = invoice.key
    if key is None:
        return _unread(row, invoice)
    if key[0] != row.issuer_cuit:
        return None
    fields = _key_difference(row.key, key)
    return fields if len(fields) == 1 else None


def _unread(row: ArcaRow, invoice: StoredInvoice) -> list[str] | None:
    """The key fields the reader left empty, if every field it did read is the row's (dated, and at most two
    missing: a paper is not recognised by its total alone)."""
    values = (invoice.issuer_cuit, invoice.afip_code, invoice.point_of_sale, invoice.number)
    missing = [name for name, value in zip(KEY_FIELDS, values, strict=True) if value is None]
    if invoice.issue_date is None or len(missing) > 2:
        return None
    if any(value is not None and value != wanted for value, wanted in zip(values, row.key, strict=True)):
        return None
    return missing


def _in_scope(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    return day is not None and start is not None and end is not None and start <= day <= end


# --- the reconciliation -------------------------------------------------------------------------------------------


def reconcile(export: ArcaExport, stored: Iterable[StoredInvoice], period: Period | None = None) -> Reconciliation:
    """Match ``export`` with the ``stored`` invoices; ``period`` restricts both sides to one month (otherwise the
    whole months from the export's first to its last date)."""
    rows = [row for row in export.rows if period is None or period.contains(row.issue_date)]
    outside = len(export.rows) - len(rows)
    start, end = _scope(export, period)
    invoices = list(stored)

    by_key: dict[FiscalKey, list[ArcaRow]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    duplicates = [_arca_duplicate(key, same) for key, same in by_key.items() if len(same) > 1]
    first = {key: same[0] for key, same in by_key.items()}

    stored_by_key = {invoice.key: invoice for invoice in invoices if invoice.key is not None}
    matched: dict[FiscalKey, StoredInvoice] = {}
    mismatches: list[Finding] = []
    for key, row in first.items():
        invoice = stored_by_key.get(key)
        if invoice is None:
            continue
        matched[key] = invoice
        diffs = _compare(row, invoice)
        if diffs:
            mismatches.append(
                Finding(
                    "amount_mismatch",
                    key,
                    _mismatch_detail(key, diffs),
                    (invoice.invoice_id,),
                    (row.line,),
                    row.issuer_name or invoice.issuer_name,
                    row.issue_date,
                    row.total,
                    tuple(diffs),
                    {"status": invoice.status},
                )
            )

    matched_ids = {invoice.invoice_id for invoice in matched.values()}
    unmatched_rows = [row for key, row in first.items() if key not in matched]
    slack = dt.timedelta(days=NEAR_DAYS)
    candidates = [
        invoice
        for invoice in invoices
        if invoice.invoice_id not in matched_ids
        and invoice.status != "rejected"
        and (invoice.issue_date is None or _in_scope(invoice.issue_date, start and start - slack, end and end + slack))
    ]
    near, store_duplicates, rest_rows, rest_invoices = _pair_near(unmatched_rows, candidates, first, matched)
    duplicates.extend(store_duplicates)

    missing_in_store = [
        Finding(
            "missing_in_store",
            row.key,
            f"{_label(row.key)} de {row.issuer_name or row.issuer_cuit} por {_money(row.total)}: ARCA la registra y "
            "no está cargada; pídale la factura al proveedor.",
            (),
            (row.line,),
            row.issuer_name,
            row.issue_date,
            row.total,
        )
        for row in rest_rows
    ]
    missing_in_arca = [
        Finding(
            "missing_in_arca",
            invoice.key,
            f"{_label(invoice.key)} de {invoice.issuer_name or invoice.issuer_cuit or 'emisor sin CUIT'} por "
            f"{_money(invoice.total)}: cargada pero ARCA no la registra — puede ser apócrifa o estar anulada; "
            "verifique el CAE con el proveedor antes de computarla.",
            (invoice.invoice_id,),
            (),
            invoice.issuer_name,
            invoice.issue_date,
            invoice.total,
            extra={"status": invoice.status, "source_file": invoice.source_file},
        )
        for invoice in rest_invoices
        if invoice.key is not None and _in_scope(invoice.issue_date, start, end)
    ]
    incomplete = [
        _incomplete(invoice)
        for invoice in rest_invoices
        if invoice.key is None and _in_scope(invoice.issue_date, start, end)
    ]
    corrected = _corrected_keys(invoices, first, start, end)
    return Reconciliation(
        export=export.summary(),
        period=str(period) if period else None,
        date_from=start,
        date_to=end,
        matched=len(matched),
        missing_in_store=sorted(missing_in_store, key=_order),
        missing_in_arca=sorted(missing_in_arca, key=_order),
        amount_mismatch=sorted(mismatches, key=_order),
        duplicates=sorted(duplicates, key=_order),
        key_mismatch=sorted(near, key=_order),
        corrected_keys=sorted(corrected, key=_order),
        outside_period=outside,
        incomplete_key=sorted(incomplete, key=_order),
    )


def _incomplete(invoice: StoredInvoice) -> Finding:
    values = {name: getattr(invoice, name) for name in KEY_FIELDS}
    missing = [name for name, value in values.items() if value is None]
    return Finding(
        "incomplete_key",
        None,
        f"Factura {invoice.invoice_id} ({invoice.issuer_name or invoice.issuer_cuit or 'emisor sin leer'}, "
        f"{invoice.source_file or 'sin archivo'}) por {_money(invoice.total)}: no se leyó {_field_names(missing)} y "
        "no se la puede buscar en ARCA; complete su revisión y vuelva a conciliar.",
        (invoice.invoice_id,),
        (),
        invoice.issuer_name,
        invoice.issue_date,
        invoice.total,
        extra={"status": invoice.status, "source_file": invoice.source_file, "store_key": values},
    )


def _scope(export: ArcaExport, period: Period | None) -> tuple[dt.date | None, dt.date | None]:
    """The dates whose loaded invoices ARCA should list: the period, else the whole months the export spans (an
    export is downloaded for whole months)."""
    if period is not None:
        return period.first_day, period.last_day
    if export.first_date is None or export.last_date is None:
        return None, None
    last = Period(export.last_date.year, export.last_date.month).last_day
    return export.first_date.replace(day=1), last


def _order(finding: Finding) -> tuple[Any, ...]:
    return (finding.issue_date or dt.date.min, finding.key or ("", 0, 0, 0))


def _arca_duplicate(key: FiscalKey, rows: Sequence[ArcaRow]) -> Finding:
    lines = tuple(row.line for row in rows)
    same = all(row.as_dict() | {"line": 0} == rows[0].as_dict() | {"line": 0} for row in rows)
    how = "idénticas" if same else "con importes distintos"
    return Finding(
        "duplicates",
        key,
        f"{_label(key)} figura {len(rows)} veces en el archivo de ARCA (filas {', '.join(map(str, lines))}, {how}); "
        "se concilió una sola vez.",
        (),
        lines,
        rows[0].issuer_name,
        rows[0].issue_date,
        rows[0].total,
        extra={"source": "arca"},
    )


def _pair_near(
    rows: list[ArcaRow],
    invoices: list[StoredInvoice],
    first: dict[FiscalKey, ArcaRow],
    matched: dict[FiscalKey, StoredInvoice],
) -> tuple[list[Finding], list[Finding], list[ArcaRow], list[StoredInvoice]]:
    """(probable misread keys, invoices loaded twice, rows left, invoices left)."""
    near: list[Finding] = []
    twice: list[Finding] = []
    by_issuer: dict[str, list[ArcaRow]] = defaultdict(list)
    for row in rows:
        by_issuer[row.issuer_cuit].append(row)
    matched_by_issuer: dict[str, list[tuple[FiscalKey, StoredInvoice]]] = defaultdict(list)
    for key, other in matched.items():
        matched_by_issuer[key[0]].append((key, other))
    paired: set[int] = set()
    left: list[StoredInvoice] = []
    for invoice in invoices:
        same_issuer = by_issuer.get(invoice.issuer_cuit, []) if invoice.issuer_cuit else rows
        pair = next(
            (
                (row, fields)
                for row in same_issuer
                if id(row) not in paired and (fields := _near(row, invoice)) is not None
            ),
            None,
        )
        if pair is not None:
            row, fields = pair
            paired.add(id(row))
            near.append(_key_mismatch(row, invoice, fields))
            continue
        twin = next(
            (
                (key, other)
                for key, other in matched_by_issuer.get(invoice.issuer_cuit or "", [])
                if invoice.key is not None
                and _near(first[key], invoice) is not None
                and other.invoice_id != invoice.invoice_id
            ),
            None,
        )
        if twin is not None:
            key, other = twin
            twice.append(
                Finding(
                    "duplicates",
                    key,
                    f"{_label(key)} parece cargada dos veces: las facturas {other.invoice_id} y {invoice.invoice_id} "
                    f"tienen el mismo emisor, fecha y total ({_money(invoice.total)}) y ARCA registra una sola; "
                    "rechace la copia.",
                    (other.invoice_id, invoice.invoice_id),
                    (first[key].line,),
                    first[key].issuer_name,
                    first[key].issue_date,
                    first[key].total,
                    extra={"source": "store"},
                )
            )
            continue
        left.append(invoice)
    return near, twice, [row for row in rows if id(row) not in paired], left


def _key_mismatch(row: ArcaRow, invoice: StoredInvoice, fields: list[str]) -> Finding:
    if invoice.key is None:
        source = invoice.source_file or "sin archivo"
        detail = (
            f"{_label(row.key)} de ARCA y la factura {invoice.invoice_id} cargada ({source}) tienen el mismo total "
            f"{_money(row.total)} y fecha cercana, pero no se leyó "
            f"{_field_names(fields)}: probablemente es la misma; complete la revisión con la clave de ARCA."
        )
        store_key = {name: getattr(invoice, name) for name in KEY_FIELDS}
    else:
        corrected = f" (ya corregido a mano: {', '.join(invoice.corrected_key)})" if invoice.corrected_key else ""
        detail = (
            f"{_label(row.key)} de ARCA y {_label(invoice.key)} cargada (factura {invoice.invoice_id}) tienen el mismo "
            f"emisor y total {_money(row.total)} y difieren en {_field_names(fields)}: probablemente se leyó "
            f"mal{corrected}; corrija la factura cargada."
        )
        store_key = _key_dict(invoice.key)
    return Finding(
        "key_mismatch",
        row.key,
        detail,
        (invoice.invoice_id,),
        (row.line,),
        row.issuer_name or invoice.issuer_name,
        row.issue_date,
        row.total,
        extra={"store_key": store_key, "differs_in": fields, "status": invoice.status},
    )


_FIELD_NAMES = {
    "issuer_cuit": "el CUIT",
    "afip_code": "el tipo de comprobante",
    "point_of_sale": "el punto de venta",
    "number": "el número",
}


def _field_names(fields: Sequence[str]) -> str:
    return " y ".join(_FIELD_NAMES.get(f, f) for f in fields)


def _key_dict(key: FiscalKey) -> dict[str, Any]:
    return dict(zip(KEY_FIELDS, key, strict=True))


def _corrected_keys(
    invoices: Sequence[StoredInvoice],
    first: dict[FiscalKey, ArcaRow],
    start: dt.date | None,
    end: dt.date | None,
) -> list[Finding]:
    out = []
    for invoice in invoices:
        if not invoice.corrected_key or invoice.status == "rejected":
            continue
        if not _in_scope(invoice.issue_date, start, end) and invoice.key not in first:
            continue
        confirmed = invoice.key in first
        changes = "; ".join(
            f"{_FIELD_NAMES.get(name, name)} {old} → {new}" for name, (old, new) in invoice.corrected_key.items()
        )
        verdict = "ARCA confirma la clave corregida" if confirmed else "ARCA no registra la clave corregida"
        out.append(
            Finding(
                "corrected_keys",
                invoice.key,
                f"{_label(invoice.key)} (factura {invoice.invoice_id}, {invoice.source_file or 'sin archivo'}): "
                f"clave corregida a mano ({changes}); {verdict}.",
                (invoice.invoice_id,),
                (first[invoice.key].line,) if confirmed and invoice.key is not None else (),
                invoice.issuer_name,
                invoice.issue_date,
                invoice.total,
                extra={
                    "confirmed_by_arca": confirmed,
                    "corrections": {
                        name: {"read": _json(old), "corrected": _json(new)}
                        for name, (old, new) in invoice.corrected_key.items()
                    },
                    "key_sources": {k: v for k, v in invoice.key_sources.items() if k in KEY_FIELDS},
                },
            )
        )
    return out
