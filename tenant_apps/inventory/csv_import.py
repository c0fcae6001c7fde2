"""CSV imports: the product catalog, and stock counts (opening stock).

An import is all or nothing. The request is checked at once (size, UTF-8, header) and refused
with a 4xx if that fails; the job then validates every row and writes nothing if any row is bad,
reporting each problem as {row, column, message} in ``job.result["errors"]``; only a file without
errors is written, in one transaction. A half-imported catalog is harder to repair than a file.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first product row 2.

Memory stays flat in the number of rows: the file is read as a stream of lines (never a list of
rows), validated in one pass that keeps only what cross-row checks need (the SKUs and barcodes
seen, the categories named), then read again and written in chunks of ``WRITE_CHUNK`` rows
inside one transaction. A 235,000-row file once peaked at 863 MB when every parsed row and model
instance was held at once; figures in docs/benchmarks.md ("CSV import memory").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower, Substr

from tenant_apps.core.errors import Conflict, InvalidInput, PlatformError
from tenant_apps.core.limits import QuotaExceeded, quota_check, storage_check
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
# Rows written per bulk statement and held in memory at once while writing.
WRITE_CHUNK = 2000
# Characters read from the database per round trip when the job's text was not loaded.
READ_CHUNK = 1 << 20


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


def _lines_of(text: str) -> Iterator[str]:
    """The lines of ``text`` (with their endings), one at a time: no copy of the whole text,
    as ``io.StringIO`` or ``splitlines`` would make."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop == -1 else stop + 1
        yield text[start:stop]
        start = stop


def _lines_from_database(job: Job) -> Iterator[str]:
    """The job's input text read from its row ``READ_CHUNK`` characters at a time, for a job
    loaded without it (``defer("input_text")``)."""
    offset, pending = 1, ""
    while True:
        chunk = (Job.objects.filter(pk=job.pk)
                 .annotate(part=Substr("input_text", offset, READ_CHUNK))
                 .values_list("part", flat=True).first()) or ""
        offset += READ_CHUNK
        lines = (pending + chunk).splitlines(keepends=True)
        pending = lines.pop() if lines and len(chunk) == READ_CHUNK else ""
        yield from lines
        if len(chunk) < READ_CHUNK:
            if pending:
                yield pending
            return


def _input_lines(job: Job) -> Iterator[str]:
    if "input_text" in job.get_deferred_fields():
        return _lines_from_database(job)
    return _lines_of(job.input_text)


def _rows(job: Job) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped cell}) of every non-blank row, read as a
    stream. A line csv cannot read (a field over csv's size limit) is reported on its row, as
    a row of the wrong width is, rather than failing the whole job."""
    reader = csv.reader(_input_lines(job))
    header = [name.strip().lower() for name in next(reader)]
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield number, {"__width__": f"Not readable as CSV: {exc}."}
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, {"__width__": f"Expected {len(header)} cells, found {len(cells)}."}
            continue
        yield number, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}


def _count_rows(job: Job) -> int:
    return sum(1 for _ in _rows(job))


def _chunks(rows: Iterator, size: int = WRITE_CHUNK) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
    total = _count_rows(job)
    existing = {key: pk for key, pk in Product.objects.annotate(key=SKU_KEY)
                .values_list("key", "pk")}
    barcodes = {code: pk for code, pk in Product.objects.exclude(barcode="")
                .values_list("barcode", "pk")}
    seen_skus: dict[str, int] = {}
    seen_barcodes: dict[str, int] = {}
    wanted: dict[str, str] = {}  # the first spelling in the file names a new category
    # Pass 1: validate every row, keeping only what the cross-row checks need.
    for index, (number, row) in enumerate(_rows(job), start=1):
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
            if values.get("category"):
                wanted.setdefault(values["category"].lower(), values["category"])
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
    new_products = sum(1 for key in seen_skus if key not in existing)
    del seen_skus, seen_barcodes, barcodes
    if new_products and not report.error_count:
        # The plan's limits, for the whole file at once: it is written all or nothing.
        try:
            storage_check()
            quota_check("products", used=len(existing), adding=new_products)
        except QuotaExceeded as exc:
            report.add(1, "", f"The file adds {new_products:,} products. {exc.message}")
    if report.error_count:
        return {}

    # Pass 2: the file is valid; read it again and write it a chunk at a time, in one
    # transaction (all or nothing).
    created = updated = 0
    with transaction.atomic():
        categories = {name.lower(): pk for name, pk in Category.objects.values_list("name", "pk")}
        new_categories = [Category(name=name) for key, name in wanted.items()
                          if key not in categories]
        Category.objects.bulk_create(new_categories)
        categories = {key: pk for key, pk in Category.objects.annotate(key=Lower("name"))
                      .values_list("key", "pk")}
        for chunk in _chunks(_rows(job)):
            to_create, to_update, columns = [], [], set()
            parsed = [_product_values(row, report, number) for number, row in chunk]
            current = Product.objects.in_bulk(
                [existing[v["sku"].lower()] for v in parsed if v["sku"].lower() in existing])
            for values in parsed:
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
            created += len(to_create)
            updated += len(to_update)
    return {"rows": total, "created": created, "updated": updated,
            "categories_created": len(new_categories)}


def _stock_count(row: dict[str, str], number: int, report: Report, products: dict,
                 warehouses: dict) -> StockCount | None:
    """The count one stock row makes, or None (problems added to ``report``)."""
    product = products.get(row["sku"].lower())
    if product is None:
        report.add(number, "sku", "No product has this SKU." if row["sku"] else "Required.")
    warehouse_id = warehouses.get(row["warehouse"].upper())
    if warehouse_id is None:
        report.add(number, "warehouse",
                   "No warehouse has this code." if row["warehouse"] else "Required.")
    try:
        quantity = _decimal(row["quantity"] or "0", places=QUANTITY_PLACES, maximum=MAX_QUANTITY)
    except ValueError as exc:
        report.add(number, "quantity", str(exc))
        quantity = None
    if (product and quantity is not None and product[1] in COUNTABLE_UNITS
            and quantity != quantity.to_integral_value()):
        report.add(number, "quantity", f"{row['sku']} is counted in whole {product[1]}.")
        quantity = None
    if product and warehouse_id and quantity is not None:
        return StockCount(product_id=product[0], warehouse_id=warehouse_id, quantity=quantity)
    return None


def _import_stock(job: Job, progress: Progress, report: Report) -> dict:
    total = _count_rows(job)
    products = {key: (pk, unit) for key, pk, unit in Product.objects.annotate(key=SKU_KEY)
                .values_list("key", "pk", "unit")}
    warehouses = {code: pk for code, pk in Warehouse.objects.values_list("code", "pk")}
    counted: dict[tuple[int, int], int] = {}  # (product, warehouse) -> row that counts it
    for index, (number, row) in enumerate(_rows(job), start=1):
        if "__width__" in row:
            report.add(number, "", row["__width__"])
            continue
        count = _stock_count(row, number, report, products, warehouses)
        if count is not None:
            key = (count.product_id, count.warehouse_id)
            if key in counted:
                report.add(number, "sku", f"Row {counted[key]} already counts this product "
                                          "in this warehouse.")
            counted.setdefault(key, number)
        if index % PROGRESS_EVERY == 0:
            progress(index, total)
    del counted
    if report.error_count:
        return {}

    outcome = {"adjusted": 0, "unchanged": 0}
    with transaction.atomic():
        for chunk in _chunks(_rows(job)):
            rows_counted = [number for number, _ in chunk]
            counts = [_stock_count(row, number, report, products, warehouses)
                      for number, row in chunk]
            try:
                done = stock_counts_record(
                    counts=counts, reference=f"import #{job.pk}",
                    note="Stock count from a CSV import.", created_by=job.created_by)
            except (InvalidInput, Conflict) as exc:
                for name, messages in exc.fields.items():
                    _, index, column = name.split(".", 2)
                    for message in messages:
                        report.add(rows_counted[int(index)], _STOCK_COLUMN.get(column, column),
                                   message)
                raise _Rejected from None
            for key in outcome:
                outcome[key] += done[key]
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
