"""The inventory pages of the tenant web app, mounted at /inventory/ by the app's contract.
Views are thin: forms parse, services write, selectors read (the same ones as the API).
Roles as in the API: viewers read; members record movements and acknowledge alerts; admins
manage the catalog and warehouses and run imports and exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from tenant_apps.core.charts import bar_chart
from tenant_apps.core.crud import Column, Resource
from tenant_apps.core.errors import PlatformError
from tenant_apps.core.models import Job
from tenant_apps.core.pages import can, page, paginate, show_errors
from tenant_apps.core.roles import Role
from tenant_apps.core.services.jobs import job_start
from tenant_apps.core.tables import rows_html
from tenant_apps.inventory import selectors, services, tables
from tenant_apps.inventory.csv_import import csv_check_header, csv_decode
from tenant_apps.inventory.forms import (
    CategoryForm,
    ExportForm,
    ImportForm,
    MovementForm,
    ProductForm,
    WarehouseForm,
)
from tenant_apps.inventory.models import Category
from tenant_apps.inventory.tasks import run_export, run_import

TABS = [("Products", "inventory:home"), ("Record movement", "inventory:movement"),
        ("Low stock", "inventory:alerts"), ("Warehouses", "inventory:warehouses-list"),
        ("Categories", "inventory:categories-list"), ("Import / export", "inventory:files")]
DASHBOARD_SECONDS = 60
SORTS = {"sku": "sku", "name": "name", "on_hand": "on_hand", "price": "price",
         "updated": "updated_at"}


# -- products ---------------------------------------------------------------------------------
@page()
def product_list(request: HttpRequest) -> HttpResponse:
    """Search, filter by category, low stock and active, sort and page the catalog."""
    rows = selectors.product_list()
    q = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    low = request.GET.get("low", "")
    active = request.GET.get("active", "yes")
    rows = selectors.products_search(rows, q)
    if category.isdigit():
        rows = rows.filter(category_id=int(category))
    elif category == "none":
        rows = rows.filter(category__isnull=True)
    if low == "yes":
        rows = selectors.products_low_stock(rows)
    if active in ("yes", "no"):
        rows = rows.filter(is_active=active == "yes")
    sort = request.GET.get("sort", "sku")
    field = SORTS.get(sort.lstrip("-"), "sku")
    rows = rows.order_by(f"-{field}" if sort.startswith("-") else field, "id")
    page_obj = paginate(request, rows)
    context = {"page_obj": page_obj, "q": q, "category": category, "low": low,
               "active": active, "tabs": TABS, "can_admin": can(request, Role.ADMIN),
               "columns": tables.PRODUCT_COLUMNS}
    if request.htmx:
        return render(request, "inventory/_product_rows.html", context)
    context["categories"] = Category.objects.only("id", "name")
    return render(request, "inventory/products.html", context)


@page()
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(selectors.product_list(), pk=pk)
    movements = paginate(request, selectors.movements_filter(selectors.movement_list(),
                                                             product_id=product.pk), 20)
    if request.htmx:
        return render(request, "inventory/_movement_rows.html",
                      {"page_obj": movements, "product": product,
                       "columns": tables.MOVEMENT_COLUMNS})
    form = MovementForm(initial={"sku": product.sku, "kind": "receipt"})
    return render(request, "inventory/product_detail.html", {
        "product": product, "stock": selectors.product_stock_by_warehouse(product),
        "page_obj": movements, "columns": tables.MOVEMENT_COLUMNS, "form": form, "tabs": TABS,
        "can_move": can(request, Role.MEMBER), "can_admin": can(request, Role.ADMIN)})


def _product_update(*, product, data):
    return services.product_update(product=product, data=data)


products = Resource(
    slug="products", singular="product", plural="Products", form=ProductForm,
    selector=selectors.product_list, create=services.product_create, update=_product_update,
    delete=services.product_delete, entity="product", namespace="inventory", tabs=TABS,
    list_name="inventory:home", columns=[Column("SKU", lambda p: p.sku)])
warehouses = Resource(
    slug="warehouses", singular="warehouse", plural="Warehouses", form=WarehouseForm,
    selector=selectors.warehouse_list, create=services.warehouse_create,
    update=services.warehouse_update, delete=services.warehouse_delete, entity="warehouse",
    namespace="inventory", tabs=TABS,
    search=lambda qs, term: qs.filter(Q(code__icontains=term) | Q(name__icontains=term)),
    columns=[Column("Code", lambda w: w.code), Column("Name", lambda w: w.name),
             Column("Address", lambda w: w.address or "—"),
             Column("Status", lambda w: "active" if w.is_active else "inactive")])
categories = Resource(
    slug="categories", singular="category", plural="Categories", form=CategoryForm,
    selector=selectors.category_list, create=services.category_create,
    update=services.category_update, delete=services.category_delete, entity="category",
    namespace="inventory", tabs=TABS,
    search=lambda qs, term: qs.filter(name__icontains=term),
    columns=[Column("Name", lambda c: c.name), Column("Products", lambda c: c.product_count,
                                                      "num"),
             Column("Description", lambda c: c.description or "—")])


# -- movements --------------------------------------------------------------------------------
@page(Role.MEMBER)
def movement_record(request: HttpRequest) -> HttpResponse:
    """Record a receipt, issue, transfer or adjustment; the ledger's refusals (insufficient stock
    says how much there is) show on the field they concern."""
    form = MovementForm(request.POST or None, initial={"sku": request.GET.get("sku", ""),
                                                       "kind": request.GET.get("kind",
                                                                               "receipt")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        product = data["sku"]
        try:
            movement = services.stock_movement_record(
                kind=data["kind"], product_id=product.pk, quantity=data["quantity"],
                from_warehouse_id=data["from_warehouse"].pk if data["from_warehouse"] else None,
                to_warehouse_id=data["to_warehouse"].pk if data["to_warehouse"] else None,
                reference=data["reference"], note=data["note"], created_by=request.user)
        except PlatformError as exc:
            show_errors(form, exc, aliases={"product": "sku"})
        else:
            messages.success(request, f"{movement.get_kind_display()} of "
                                      f"{movement.quantity.normalize():f} {product.unit} of "
                                      f"{product.sku} recorded.")
            return redirect(reverse("inventory:product", args=[product.pk]))
    return render(request, "inventory/movement.html", {"form": form, "tabs": TABS},
                  status=400 if form.errors else 200)


# -- alerts -----------------------------------------------------------------------------------
@page()
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "unresolved")
    rows = selectors.low_stock_alerts_with_status(selectors.low_stock_alert_list(), status)
    page_obj = paginate(request, rows)
    context = {"page_obj": page_obj, "status": status, "tabs": TABS,
               "columns": tables.alert_columns(request, can_ack=can(request, Role.MEMBER))}
    if request.htmx:
        return render(request, "inventory/_alert_rows.html", context)
    return render(request, "inventory/alerts.html", context)


@page(Role.MEMBER)
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(selectors.low_stock_alert_list(), pk=pk)
    if request.method == "POST":
        alert = services.low_stock_alert_acknowledge(alert=alert, user=request.user)
    if request.htmx:
        return HttpResponse(rows_html(tables.alert_columns(request, can_ack=True), [alert],
                                      row_id=lambda a: f"alert-{a.pk}"))
    return redirect("inventory:alerts")


# -- imports and exports ----------------------------------------------------------------------
def _jobs(request: HttpRequest):
    return Job.objects.defer("input_text", "output_text").filter(
        kind__startswith="inventory.")[:10]


@page(Role.ADMIN)
def files(request: HttpRequest) -> HttpResponse:
    import_form = ImportForm()
    export_form = ExportForm()
    if request.method == "POST" and request.POST.get("action") == "import":
        import_form = ImportForm(request.POST, request.FILES)
        if import_form.is_valid():
            upload = import_form.cleaned_data["file"]
            kind = import_form.cleaned_data["kind"]
            try:
                if upload.size > settings.MAX_IMPORT_BYTES:
                    raise PlatformError(f"The file is larger than "
                                        f"{settings.MAX_IMPORT_BYTES:,} bytes; split it.")
                text = csv_decode(upload.read())
                csv_check_header(kind=kind, text=text)
            except PlatformError as exc:
                import_form.add_error("file", exc.message)
            else:
                job = job_start(kind=f"inventory.import_{kind}", task=run_import,
                                created_by=request.user, params={"kind": kind},
                                input_text=text, audit="inventory.import")
                return redirect("web-job", pk=job.pk)
    elif request.method == "POST" and request.POST.get("action") == "export":
        export_form = ExportForm(request.POST)
        if export_form.is_valid():
            kind = export_form.cleaned_data["kind"]
            job = job_start(kind=f"inventory.export_{kind}", task=run_export,
                            created_by=request.user, params={"kind": kind})
            return redirect("web-job", pk=job.pk)
    return render(request, "inventory/files.html", {
        "import_form": import_form, "export_form": export_form, "jobs": _jobs(request),
        "tabs": TABS}, status=400 if import_form.errors or export_form.errors else 200)


# -- dashboard --------------------------------------------------------------------------------
def dashboard(request: HttpRequest) -> tuple[str, dict]:
    today = timezone.localdate()

    def figures() -> dict:
        per_day = selectors.movements_per_day(days=30, until=today)
        return {"valuation": selectors.stock_valuation(),
                "figures": selectors.inventory_figures(),
                "chart": bar_chart([(d.strftime("%b %d"), n) for d, n in per_day],
                                   summary=f"Stock movements per day, last 30 days: "
                                           f"{sum(n for _, n in per_day)} in all.")}

    # Sums over every level and movement: computed once a minute per workspace and zone (the
    # cache's keys carry the schema), not on every visit.
    key = f"web:dashboard:inventory:{today}:{timezone.get_current_timezone_name()}"
    return "inventory/_dashboard.html", cache.get_or_set(key, figures, DASHBOARD_SECONDS)


urlpatterns = [
    path("", product_list, name="home"),
    path("products/<int:pk>/", product_detail, name="product"),
    path("movements/new", movement_record, name="movement"),
    path("alerts/", alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge", alert_acknowledge, name="alert-ack"),
    path("files/", files, name="files"),
    *products.urls(),
    *warehouses.urls(),
    *categories.urls(),
]
