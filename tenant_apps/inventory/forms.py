"""Forms of the inventory pages. They parse the browser's input; the services decide, and their
errors are put on these forms' fields (see tenant_apps.core.pages.show_errors). Uniqueness is
the services' to check (``model_save`` turns the unique index into a field error), so the
ModelForms skip Django's own query for it."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator

from tenant_apps.core.crud import ServiceModelForm
from tenant_apps.core.forms import ListedModelChoiceField
from tenant_apps.inventory.models import (
    MAX_QUANTITY,
    QUANTITY_PLACES,
    Category,
    MovementKind,
    Product,
    Warehouse,
)

WAREHOUSE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


_ServiceChecksUniqueness = ServiceModelForm


class CategoryForm(_ServiceChecksUniqueness):
    class Meta:
        model = Category
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProductForm(_ServiceChecksUniqueness):
    class Meta:
        model = Product
        fields = ["sku", "name", "unit", "category", "barcode", "price", "cost",
                  "reorder_level", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"reorder_level": "Per warehouse: an alert is raised when stock there "
                                       "falls to this. 0 = not tracked.",
                      "cost": "Unit cost; stock is valued at it."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("price", "cost", "reorder_level"):  # as the table's check constraints
            self.fields[name].validators.append(MinValueValidator(0))
            self.fields[name].widget.attrs["min"] = "0"

    def clean_sku(self) -> str:
        sku = self.cleaned_data["sku"]
        if any(ch.isspace() for ch in sku):
            raise forms.ValidationError("A SKU has no spaces.")
        return sku


class WarehouseForm(_ServiceChecksUniqueness):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "address", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"code": "Letters, digits, - and _; stored upper-case."}

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].upper()
        if not WAREHOUSE_CODE.match(code):
            raise forms.ValidationError("Use letters, digits, - and _ only.")
        return code


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=MovementKind.choices,
                             help_text="Receipt: into a warehouse. Issue: out of one. Transfer: "
                                       "from one to another. Adjustment: one side only.")
    sku = forms.CharField(label="Product SKU", max_length=64)
    quantity = forms.DecimalField(label="Quantity", min_value=Decimal("0.001"),
                                  max_value=MAX_QUANTITY, decimal_places=QUANTITY_PLACES)
    from_warehouse = ListedModelChoiceField(label="From warehouse", required=False,
                                            queryset=Warehouse.objects.all())
    to_warehouse = ListedModelChoiceField(label="To warehouse", required=False,
                                          queryset=Warehouse.objects.all())
    reference = forms.CharField(label="Reference", max_length=100, required=False,
                                help_text="Delivery note, order number…")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_sku(self) -> Product:
        sku = self.cleaned_data["sku"].strip()
        product = Product.objects.only("id", "sku", "unit").filter(sku__iexact=sku).first()
        if product is None:
            raise forms.ValidationError(f"No product with SKU {sku}.")
        return product


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=[
        ("products", "Products (the catalog)"), ("stock", "Stock counts")])
    file = forms.FileField(label="CSV file (UTF-8)")


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label="Export", choices=[
        ("products", "Products"), ("stock", "Stock per warehouse")])
