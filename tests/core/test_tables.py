"""The design system's data table (tenant_apps/core/tables.py) as pages use it: what a user typed
is escaped in every cell, markup built by a column stays markup, each cell carries its column's
label for the phone layout, sortable headers keep the filters and flip the order, and the
Acknowledge button's form posts with a CSRF token that Django accepts."""

import re

from django.http import QueryDict
from django.utils.html import format_html

from tenant_apps.core.tables import Column, rows_html, sort_header, table_html
from tests.inventory import factories as f


class _Row:
    def __init__(self, pk: int, name: str) -> None:
        self.pk, self.name = pk, name


COLUMNS = [Column("Name <b>", lambda r: r.name),
           Column("Link", lambda r: format_html('<a href="/x/{}/">{}</a>', r.pk, r.name), "num")]


def test_text_is_escaped_and_markup_kept_with_labels_per_cell() -> None:
    html = rows_html(COLUMNS, [_Row(7, "<script>alert(1)</script>")],
                     row_id=lambda r: f"row-{r.pk}")
    assert html == (
        '<tr id="row-7"><td data-label="Name &lt;b&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>'
        '<td data-label="Link" class="num"><a href="/x/7/">&lt;script&gt;alert(1)&lt;/script&gt;'
        "</a></td></tr>")


def test_a_table_has_its_header_and_one_row_per_item() -> None:
    html = table_html(COLUMNS, [_Row(1, "a"), _Row(2, "b")], "things")
    assert html.startswith('<table class="data" id="things"><thead><tr><th>Name &lt;b&gt;</th>'
                           '<th class="num">Link</th></tr></thead>')
    assert html.count("<tr>") == 3 and html.endswith("</tbody></table>")


def test_sort_headers_keep_filters_drop_the_page_and_flip_the_order() -> None:
    first = sort_header(QueryDict("q=bolt&page=3"), "price", "Price")
    assert 'href="?q=bolt&amp;sort=price"' in first and "sorted" not in first
    again = sort_header(QueryDict("q=bolt&sort=price"), "price", "Price")
    assert 'href="?q=bolt&amp;sort=-price"' in again and "(sorted ascending)" in again
    assert "(sorted descending)" in sort_header(QueryDict("sort=-price"), "price", "Price")


def test_the_product_list_header_sorts_and_rows_link_to_products(client_for, in_tenant) -> None:
    client = client_for("acme", role="viewer")
    with in_tenant("acme"):
        product = f.ProductFactory(sku="A&B-1", name="Bolt <M8>")
    page = client.get("/inventory/?q=bolt&sort=name").content.decode()
    assert 'href="?q=bolt&amp;sort=-name"' in page
    assert f'<a href="/inventory/products/{product.pk}/">A&amp;B-1</a>' in page
    assert '<td data-label="Name">Bolt &lt;M8&gt;</td>' in page


def test_the_acknowledge_form_posts_without_javascript(client_for, in_tenant) -> None:
    """The row's form carries a CSRF token Django accepts (the test client enforces it here)."""
    member = client_for("acme", role="member")
    with in_tenant("acme"):
        alert = f.open_low_stock_alert()
    strict = member
    strict.handler.enforce_csrf_checks = True
    page = strict.get("/inventory/alerts/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    refused = strict.post(f"/inventory/alerts/{alert.pk}/acknowledge", {})
    assert refused.status_code == 403
    done = strict.post(f"/inventory/alerts/{alert.pk}/acknowledge",
                       {"csrfmiddlewaretoken": token})
    assert done.status_code == 302
    with in_tenant("acme"):
        alert.refresh_from_db()
    assert alert.status == "acknowledged"
