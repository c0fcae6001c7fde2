"""Catalog writes that race past the serializers' uniqueness checks still get a field error."""

import pytest

from tenant_apps.core.errors import InvalidInput
from tenant_apps.inventory import services
from tests.inventory import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(in_tenant):
    with in_tenant("acme"):
        yield


@pytest.mark.parametrize(("create", "existing", "field"), [
    (lambda: services.product_create(sku="ab-1", name="Clash"),
     lambda: f.ProductFactory(sku="AB-1"), "sku"),
    (lambda: services.product_create(sku="NEW", name="Clash", barcode="123"),
     lambda: f.ProductFactory(barcode="123"), "barcode"),
    (lambda: services.category_create(name="tools"),
     lambda: f.CategoryFactory(name="Tools"), "name"),
    (lambda: services.warehouse_create(code="MAIN", name="Again"),
     lambda: f.WarehouseFactory(code="MAIN"), "code"),
])
def test_a_unique_clash_at_the_database_is_a_field_error(acme, create, existing, field):
    existing()
    with pytest.raises(InvalidInput) as excinfo:
        create()
    assert list(excinfo.value.fields) == [field]
