"""CSV imports: the product catalog, and stock counts (opening stock).

An import is all or nothing. The request is checked at once (size, UTF-8, header) and refused
with a 4xx if that fails; the job then validates every row and writes nothing if any row is bad,
reporting each problem as {row, column, message} in ``job.result["errors"]``; only a file without
errors is written, in one transaction. A half-imported catalog is harder to repair than a file.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first product row 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from tenant_apps.core.errors import Conflict, InvalidInput, PlatformError
from tenant_apps.core.models import Job
from tenant_apps.core.services.jobs import JobFailed, Progress
from tenant_apps.inventory.models import (
    COUNTABLE_UNITS,
    MAX_MONEY,
    MAX_QUANTITY,
    QUANTITY_PLACES,
    SKU_KEY,
    Category,
    Product,
    Unit,
    Warehouse,
)
from tenant_apps.inventory.services import StockCount, stock_counts_record

PRODUCTS = "products"
STOCK = "stock"
MAX_REPORTED_ERRORS = 500
PROGRESS_EVERY = 500


class PayloadTooLarge(PlatformError):
    status = 413
    code = "file_too_large"
    message = "The file is too large."


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Written by our own export of the same kind; accepted and ignored so that an exported file
    # can be edited and imported again.
    ignored: tuple[str, ...] = ()

    @property
    def known(self) -> set[str]:
        return {*self.required, *self.optional, *self.ignored}


COLUMNS = {
    PRODUCTS: Columns(required=("sku", "name"),
                      optional=("description", "unit", "category", "barcode", "price", "cost",
                                "reorder_level", "active")),
    STOCK: Columns(required=("sku", "warehouse", "quantity"), optional=(),
                   ignored=("name", "unit", "cost", "value")),
}


# -- at request time --------------------------------------------------------------------------
def csv_decode(raw: bytes) -> str:
    """The upload as text, or a 4xx: over MAX_IMPORT_BYTES -> 413, not UTF-8 -> 400."""
    limit = settings.MAX_IMPORT_BYTES
    if len(raw) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit:,} bytes; split it into parts.")
    try:
        text = raw.decode("utf-8-sig")  # -sig: spreadsheet programs often start with a BOM
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"The file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}). Save it "
            "as \"CSV UTF-8\" and upload it again.", code="invalid_encoding") from None
    if "\x00" in text:
        raise InvalidInput("The file contains NUL characters; it is not a CSV text file.",
                           code="invalid_file")
    return text


def csv_check_header(*, kind: str, text: str) -> list[str]:
    """The header row, checked against the columns of ``kind``; InvalidInput if unusable."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
        has_rows = any(any(cell.strip() for cell in row) for row in reader)
    except StopIteration:
        raise InvalidInput("The file is empty.", code="invalid_file") from None
    except csv.Error as exc:
        raise InvalidInput(f"The file is not valid CSV: {exc}.", code="invalid_file") from None
    header = [name.strip().lower() for name in header]
    spec = COLUMNS[kind]
    problems = []
    missing = [name for name in spec.required if name not in header]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [name for name in header if name not in spec.known]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        problems.append(f"repeated column(s): {', '.join(duplicated)}")
    if problems:
        expected = ", ".join([*spec.required, *spec.optional])
        raise InvalidInput(f"The header row does not fit a {kind} import ({'; '.join(problems)}). "
                           f"Columns: {expected}.", code="invalid_header")
    if not has_rows:
        raise InvalidInput("The file has a header but no rows.", code="invalid_file")
    return header


# -- in the job -------------------------------------------------------------------------------
@dataclass
class Report:
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped cell}) of every non-blank row."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader)]
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, {"__width__": f"Expected {len(header)} cells, found {len(cells)}."}
            continue
        yield number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}


def _decimal(value: str, *, places: int, maximum: Decimal, positive: bool = False) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number (use a dot for decimals).") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number.")
    if positive and number <= 0:
        raise ValueError("Must be greater than zero.")
    if number < 0:
        raise ValueError("Must not be negative.")
    if number > maximum:
        raise ValueError(f"Must be at most {maximum}.")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"At most {places} decimal places.")
    return number


_TRUE = {"1", "true", "yes", "y", "active"}
_FALSE = {"0", "false", "no", "n", "inactive"}
_TEXT_LIMITS = {"sku": 64, "name": 200, "barcode": 64, "category": 100, "description": 10_000}


def _product_values(row: dict[str, str], report: Report, number: int) -> dict | None:
    """The model values of one products row (only the columns present), or None if bad."""
    values: dict = {}
    before = report.error_count
    for column, limit in _TEXT_LIMITS.items():
        if column in row:
            if len(row[column]) > limit:
                report.add(number, column, f"At most {limit} characters.")
            values[column] = row[column]
    for column in ("sku", "name"):
        if not row.get(column):
            report.add(number, column, "Required.")
    if any(ch.isspace() for ch in row.get("sku", "")):
        report.add(number, "sku", "A SKU has no spaces.")
    if "unit" in row:
        unit = row["unit"].lower() or Unit.PIECE
        if unit not in Unit.values:
            report.add(number, "unit", f"Must be one of: {', '.join(Unit.values)}.")
        values["unit"] = unit
    for column, places, maximum in (("price", 2, MAX_MONEY), ("cost", 2, MAX_MONEY),
                                    ("reorder_level", QUANTITY_PLACES, MAX_QUANTITY)):
        if column in row:
            try:
                values[column] = _decimal(row[column] or "0", places=places, maximum=maximum)
            except ValueError as exc:
                report.add(number, column, str(exc))
    if "active" in row:
        flag = row["active"].lower()
        if flag and flag not in _TRUE | _FALSE:
            report.add(number, "active", "Use true or false.")
        values["is_active"] = flag not in _FALSE
    return values if report.error_count == before else None


def _import_products(job: Job, progress: Progress, report: Report) -> dict:
    rows = list(_rows(job.input_text))
    total = len(rows)
    existing = {key: pk for key, pk in Product.objects.annotate(key=SKU_KEY)
                .values_list("key", "pk")}
    barcodes = {code: pk for code, pk in Product.objects.exclude(barcode="")
                .values_list("barcode", "pk")}
    parsed: list[tuple[int, dict]] = []
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    for index, (number, row) in enumerate(rows, start=1):
        if "__width__" in row:
            report.add(number, "", row["__width__"])
            continue
        values = _product_values(row, report, number)
        if values is not None:
            key = values["sku"].lower()
            if key in seen_skus:
                report.add(number, "sku", f"Repeats the SKU of row {seen_skus[key]}.")
            seen_skus.setdefault(key, number)
            barcode = values.get("barcode", "")
            if barcode:
                if barcode in seen_barcodes:
                    report.add(number, "barcode",
                               f"Repeats the barcode of row {seen_barcodes[barcode]}.")
                elif barcodes.get(barcode, existing.get(key)) != existing.get(key):
                    report.add(number, "barcode", "Another product has this barcode.")
                seen_barcodes.setdefault(barcode, number)
            parsed.append((number, values))
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
    if report.error_count:
        return {}

    with transaction.atomic():
        categories = {name.lower(): pk for name, pk in Category.objects.values_list("name", "pk")}
        wanted: dict[str, str] = {}  # the first spelling in the file names a new category
        for _, values in parsed:
            if values.get("category"):
                wanted.setdefault(values["category"].lower(), values["category"])
        new_categories = [Category(name=name) for key, name in wanted.items()
                          if key not in categories]
        Category.objects.bulk_create(new_categories)
        categories = {key: pk for key, pk in Category.objects.annotate(key=Lower("name"))
                      .values_list("key", "pk")}
        to_create, to_update, columns = [], [], set()
        current = Product.objects.in_bulk(list(existing.values()))
        for _number, values in parsed:
            if "category" in values:
                name = values.pop("category")
                values["category_id"] = categories[name.lower()] if name else None
            pk = existing.get(values["sku"].lower())
            if pk is None:
                to_create.append(Product(**values))
            else:
                product = current[pk]
                values.pop("sku")  # matched regardless of case; the stored spelling stays
                for name, value in values.items():
                    setattr(product, name, value)
                columns.update(values)
                to_update.append(product)
        Product.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            Product.objects.bulk_update(to_update, [*sorted(columns), "updated_at"],
                                        batch_size=1000)
    return {"rows": total, "created": len(to_create), "updated": len(to_update),
            "categories_created": len(new_categories)}


def _import_stock(job: Job, progress: Progress, report: Report) -> dict:
    rows = list(_rows(job.input_text))
    total = len(rows)
    products = {key: (pk, unit) for key, pk, unit in Product.objects.annotate(key=SKU_KEY)
                .values_list("key", "pk", "unit")}
    warehouses = {code: pk for code, pk in Warehouse.objects.values_list("code", "pk")}
    counts: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for index, (number, row) in enumerate(rows, start=1):
        if "__width__" in row:
            report.add(number, "", row["__width__"])
            continue
        product = products.get(row["sku"].lower())
        if product is None:
            report.add(number, "sku", "No product has this SKU." if row["sku"] else "Required.")
        warehouse_id = warehouses.get(row["warehouse"].upper())
        if warehouse_id is None:
            report.add(number, "warehouse",
                       "No warehouse has this code." if row["warehouse"] else "Required.")
        try:
            quantity = _decimal(row["quantity"] or "0", places=QUANTITY_PLACES,
                                maximum=MAX_QUANTITY)
        except ValueError as exc:
            report.add(number, "quantity", str(exc))
            quantity = None
        if (product and quantity is not None and product[1] in COUNTABLE_UNITS
                and quantity != quantity.to_integral_value()):
            report.add(number, "quantity", f"{row['sku']} is counted in whole {product[1]}.")
            quantity = None
        if product and warehouse_id and quantity is not None:
            key = (product[0], warehouse_id)
            if key in counts:
                report.add(number, "sku", f"Row {counts[key][0]} already counts this product "
                                          "in this warehouse.")
            counts[key] = (number, quantity)
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
    if report.error_count:
        return {}

    rows_counted = [number for number, _ in counts.values()]
    try:
        outcome = stock_counts_record(
            counts=[StockCount(product_id=p, warehouse_id=w, quantity=quantity)
                    for (p, w), (_number, quantity) in counts.items()],
            reference=f"import #{job.pk}", note="Stock count from a CSV import.",
            created_by=job.created_by)
    except (InvalidInput, Conflict) as exc:
        for name, messages in exc.fields.items():
            _, index, column = name.split(".", 2)
            for message in messages:
                report.add(rows_counted[int(index)], _STOCK_COLUMN.get(column, column), message)
        raise _Rejected from None
    return {"rows": total, **outcome}


_STOCK_COLUMN = {"product": "sku", "to_warehouse": "warehouse", "from_warehouse": "warehouse"}


class _Rejected(Exception):
    """Rows failed while writing; the transaction was rolled back."""


HANDLERS: dict[str, Callable[[Job, Progress, Report], dict]] = {
    PRODUCTS: _import_products,
    STOCK: _import_stock,
}


def csv_import_run(job: Job, progress: Progress) -> dict:
    """The job handler (see tenant_apps.core.services.jobs.job_run)."""
    report = Report()
    kind = job.params.get("kind")
    try:
        result = HANDLERS[kind](job, progress, report)
    except _Rejected:
        result = {}
    except IntegrityError:
        # Another change to the catalog (same SKU or barcode) committed while this ran.
        raise JobFailed("The catalog changed while the file was imported; nothing was "
                        "imported. Run the import again.") from None
    if report.error_count:
        job.result = {"errors": report.errors, "error_count": report.error_count,
                      "errors_truncated": report.error_count > len(report.errors)}
        raise JobFailed(f"{report.error_count} problem(s) found; nothing was imported. "
                        "See the errors for row and column.")
    return result
