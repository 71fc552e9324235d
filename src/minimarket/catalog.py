"""Read and validate catalog CSVs (suppliers and products): the one loader for the store and the generator.

Files look like ``data/raw/catalog/suppliers.csv`` and ``products.csv`` (see the README there). Reading is
all or nothing: either every row is valid and a list of models comes back, or :class:`CatalogError`
lists every bad cell (row number as in the file, header = 1; column; why). Extra columns are ignored,
empty cells take the model's default, and the delimiter may be ``,`` or ``;`` (spreadsheets in es-AR
export with ``;``). Amounts may be written ``5350.00``, ``5350,00`` or ``5.350,00``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from minimarket.config import get_settings
from minimarket.domain.catalog import Product, Supplier
from minimarket.domain.numbers import parse_amount

__all__ = [
    "Catalog",
    "CatalogError",
    "RowError",
    "bundled_catalog",
    "bundled_products",
    "bundled_suppliers",
    "read_catalog",
    "read_products",
    "read_suppliers",
]

MAX_REPORTED_ERRORS = 20
SUPPLIERS_FILE = "suppliers.csv"
PRODUCTS_FILE = "products.csv"

_SUPPLIER_REQUIRED = ("cuit", "name")
_PRODUCT_REQUIRED = ("sku", "name", "cost")
_AMOUNT_COLUMNS = frozenset({"cost"})

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell: ``row`` is the 1-based line number in the file (header = 1)."""

    row: int
    column: str
    why: str
    value: str | None = None

    def __str__(self) -> str:
        value = self.value if self.value is None or len(self.value) <= 80 else self.value[:80] + "…"
        shown = f" = {value!r}" if value not in (None, "") else ""
        return f"fila {self.row}, columna {self.column!r}{shown}: {self.why}"


class CatalogError(ValueError):
    """A catalog file that cannot be used; ``errors`` lists every bad row (row, column, why)."""

    def __init__(self, path: Path | str, errors: Sequence[RowError]) -> None:
        self.path = Path(path)
        self.errors = list(errors)
        shown = "\n".join(f"  - {error}" for error in self.errors[:MAX_REPORTED_ERRORS])
        more = len(self.errors) - MAX_REPORTED_ERRORS
        tail = f"\n  … y {more} errores más" if more > 0 else ""
        count = len(self.errors)
        super().__init__(
            f"{self.path}: {count} {'error' if count == 1 else 'errores'}; no se importó nada\n{shown}{tail}"
        )


@dataclass(frozen=True)
class Catalog:
    """Suppliers and products read together, with the lookups the generator and matchers need."""

    suppliers: list[Supplier]
    products: list[Product]

    def supplier(self, cuit: str) -> Supplier:
        """The supplier with this CUIT (``KeyError`` if absent)."""
        for supplier in self.suppliers:
            if supplier.cuit == cuit:
                return supplier
        raise KeyError(cuit)

    def products_of(self, cuit: str) -> list[Product]:
        """Products whose usual supplier has this CUIT, in file order."""
        return [product for product in self.products if product.supplier_cuit == cuit]

    def product(self, sku: str) -> Product:
        """The product with this SKU (``KeyError`` if absent)."""
        for product in self.products:
            if product.sku == sku:
                return product
        raise KeyError(sku)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased, stripped) and (line number, row) pairs; blank lines skipped."""
    text = _read_text(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for cells in reader:
            if not header:
                header = [cell.strip().lower() for cell in cells]
                continue
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
            rows.append((line, row))
    except csv.Error as exc:
        why = str(exc)
        if "field larger than field limit" in why:
            why = "un campo tiene más de 128 kB; no es un catálogo"
        raise CatalogError(path, [RowError(reader.line_num + 1, "-", f"no se puede leer como CSV: {why}")]) from None
    return header, rows


def _why(error: ErrorDetails) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "obligatorio, está vacío"
    message = str(error.get("msg", "valor inválido"))
    return message.removeprefix("Value error, ")


def _validate(path: Path, model: type[ModelT], required: Iterable[str], unique: Sequence[str]) -> list[ModelT]:
    if not path.is_file():
        raise CatalogError(path, [RowError(0, "-", "el archivo no existe")])
    header, rows = _rows(path)
    missing = [name for name in required if name not in header]
    if missing:
        accepted = ", ".join(model.model_fields)
        raise CatalogError(
            path,
            [RowError(1, name, f"falta la columna (columnas aceptadas: {accepted})") for name in missing],
        )
    fields = set(model.model_fields)
    errors: list[RowError] = []
    out: list[ModelT] = []
    seen: dict[str, dict[str, int]] = {name: {} for name in unique}
    for line, row in rows:
        values: dict[str, Any] = {key: value for key, value in row.items() if key in fields and value != ""}
        row_errors: list[RowError] = []
        for column in _AMOUNT_COLUMNS & values.keys():
            try:
                values[column] = parse_amount(values[column])
            except ValueError:
                row_errors.append(RowError(line, column, "no es un número", row[column]))
                del values[column]
        try:
            item = model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = str(error["loc"][0]) if error.get("loc") else "-"
                if any(e.column == column for e in row_errors):
                    continue
                row_errors.append(RowError(line, column, _why(error), row.get(column)))
            item = None
        if item is not None and not row_errors:
            for name in unique:
                key = getattr(item, name)
                if key is None:
                    continue
                if key in seen[name]:
                    row_errors.append(
                        RowError(line, name, f"repetido (ya está en la fila {seen[name][key]})", str(key))
                    )
                else:
                    seen[name][key] = line
        if row_errors:
            errors.extend(row_errors)
        elif item is not None:
            out.append(item)
    if errors:
        raise CatalogError(path, errors)
    return out


def read_suppliers(path: Path | str) -> list[Supplier]:
    """Every supplier in a suppliers CSV (columns: cuit, name, iva_condition, lead_time_days, ...)."""
    return _validate(Path(path), Supplier, _SUPPLIER_REQUIRED, unique=("cuit",))


def read_products(path: Path | str) -> list[Product]:
    """Every product in a products CSV (columns: sku, ean, name, brand, category, unit, cost, ...)."""
    return _validate(Path(path), Product, _PRODUCT_REQUIRED, unique=("sku", "ean"))


def read_catalog(suppliers_path: Path | str, products_path: Path | str) -> Catalog:
    """Both files, plus the check that every product's supplier CUIT is in the suppliers file."""
    suppliers = read_suppliers(suppliers_path)
    products_path = Path(products_path)
    products = read_products(products_path)
    known = {supplier.cuit for supplier in suppliers}
    _, rows = _rows(products_path)
    errors = [
        RowError(line, "supplier_cuit", "no está en el archivo de proveedores", product.supplier_cuit)
        for (line, _row), product in zip(rows, products, strict=True)
        if product.supplier_cuit is not None and product.supplier_cuit not in known
    ]
    if errors:
        raise CatalogError(products_path, errors)
    return Catalog(suppliers=suppliers, products=products)


def bundled_suppliers() -> list[Supplier]:
    """The suppliers bundled in ``data/raw/catalog/suppliers.csv``."""
    return read_suppliers(get_settings().catalog_dir / SUPPLIERS_FILE)


def bundled_products() -> list[Product]:
    """The products bundled in ``data/raw/catalog/products.csv``."""
    return read_products(get_settings().catalog_dir / PRODUCTS_FILE)


def bundled_catalog() -> Catalog:
    """The bundled suppliers and products, cross-checked."""
    directory = get_settings().catalog_dir
    return read_catalog(directory / SUPPLIERS_FILE, directory / PRODUCTS_FILE)
