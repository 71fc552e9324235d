"""Evidence builders shared by the tests of reconcile and its steps (audit, repairs, QR merge)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from minimarket.config import Settings
from minimarket.documents.evidence import Evidence
from minimarket.documents.fields import Found, HeaderFields
from minimarket.documents.items import ItemsResult
from minimarket.documents.pages import PageSelection
from minimarket.documents.reconcile import reconcile
from minimarket.documents.totals import TotalCandidate, TotalRole, Totals
from minimarket.domain.invoice import ExtractedInvoice, LineItem, TaxKind
from minimarket.domain.qr import QrPayload

TODAY = dt.date(2023, 3, 1)
SETTINGS = Settings(total_tolerance="0.05")


def cand(
    role: TotalRole, value: str, rate: str | None = None, y: float = 600, kind: TaxKind | None = None
) -> TotalCandidate:
    return TotalCandidate(
        role, Decimal(value), 0, y, 400, 0.95, value, role.value, kind=kind, rate=Decimal(rate) if rate else None
    )


def header(**overrides: Any) -> HeaderFields:
    values: dict[str, Any] = {
        "invoice_type": "A",
        "afip_code": 1,
        "point_of_sale": 3,
        "number": 1360,
        "issue_date": dt.date(2023, 2, 14),
        "issuer_cuit": "20315600449",
        "cae": "73079568739200",
        "cae_due_date": dt.date(2023, 2, 24),
        "receiver_doc_type": 80,
        "receiver_doc_number": "30500017704",
    }
    values.update(overrides)
    h = HeaderFields()
    for name, value in values.items():
        setattr(h, name, None if value is None else Found(value, 0.95, 0, 100.0))
    return h


def items(*rows: tuple[str, str, str]) -> ItemsResult:
    return ItemsResult(
        items=[
            LineItem(description=f"item {n}", quantity=Decimal(q), unit_price=Decimal(p), amount=Decimal(a),
                     vat_rate=Decimal("21"))
            for n, (q, p, a) in enumerate(rows, start=1)
        ],
        confidence=0.95,
    )  # fmt: skip


def default_items() -> ItemsResult:
    return items(("1", "178801.65", "178801.65"), ("1", "9834.71", "9834.71"))


def totals(net: str = "188636.36", vat: str | None = "39613.64", total: str = "228250.00", rate: str = "21") -> Totals:
    return Totals(
        net=cand(TotalRole.NET, net),
        vat=[cand(TotalRole.VAT, vat, rate=rate)] if vat is not None else [],
        total=cand(TotalRole.TOTAL, total, y=650),
        consistent=True,
    )


def run(
    h: HeaderFields | None = None,
    t: Totals | None = None,
    it: ItemsResult | None = None,
    qr: QrPayload | None = None,
    **kw: Any,
) -> ExtractedInvoice:
    ev = Evidence(
        header=h or header(),
        totals=t or totals(),
        items=it if it is not None else default_items(),
        selection=PageSelection(),
        qr=qr,
        pages_total=1,
        **kw,
    )
    return reconcile(ev, SETTINGS, TODAY)


def check(result: ExtractedInvoice, name: str) -> Any:
    found = [c for c in result.checks if c.name == name]
    assert found, f"no {name} check in {[c.name for c in result.checks]}"
    return found[0]


def qr_payload(**overrides: Any) -> QrPayload:
    values: dict[str, Any] = {
        "ver": 1,
        "fecha": dt.date(2023, 2, 14),
        "cuit": "20315600449",
        "pto_vta": 3,
        "tipo_cmp": 1,
        "nro_cmp": 1360,
        "importe": Decimal("228250"),
        "moneda": "PES",
        "ctz": Decimal("1"),
        "tipo_doc_rec": 80,
        "nro_doc_rec": "30500017704",
        "tipo_cod_aut": "E",
        "cod_aut": "73079568739200",
    }
    values.update(overrides)
    return QrPayload(**values)
