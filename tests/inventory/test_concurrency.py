"""Many writers on one product at once, each on its own database connection, with committed
transactions (as gunicorn workers would be): no deadlock, no lost update, the level always equals
the sum of the movements and never goes below zero, and a refused issue leaves no trace."""

import random
import threading
from collections import Counter
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.core.errors import Conflict
from tenant_apps.inventory.models import StockLevel, StockMovement
from tenant_apps.inventory.selectors import stock_level_discrepancies
from tenant_apps.inventory.services import stock_movement_record
from tests.inventory import factories as f

WRITERS = 16
OPERATIONS_PER_WRITER = 25


def test_concurrent_receipts_issues_and_transfers_keep_level_equal_to_ledger(scratch_tenant):
    schema = scratch_tenant().schema_name
    with schema_context(schema):
        item = f.ProductFactory(unit="pcs")
        warehouses = [f.WarehouseFactory() for _ in range(3)]
        f.receive(item, warehouses[0], 40)
    ids = [w.pk for w in warehouses]

    applied: list[tuple[str, int | None, int | None, int]] = []
    refused = Counter()
    failures: list[BaseException] = []
    lowest_seen: list[Decimal] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with schema_context(schema):
                start.wait()
                for _ in range(OPERATIONS_PER_WRITER):
                    kind = rng.choice(["receipt", "issue", "issue", "transfer", "transfer"])
                    source, target = rng.sample(ids, 2)
                    source = None if kind == "receipt" else source
                    target = None if kind == "issue" else target
                    quantity = rng.randint(1, 12)
                    try:
                        stock_movement_record(kind=kind, product_id=item.pk,
                                              quantity=Decimal(quantity),
                                              from_warehouse_id=source, to_warehouse_id=target)
                    except Conflict as exc:
                        assert exc.code == "insufficient_stock"
                        with lock:
                            refused[kind] += 1
                    else:
                        with lock:
                            applied.append((kind, source, target, quantity))
        except BaseException as exc:  # a deadlock or a lost lock would land here
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    def watcher() -> None:
        # Reads committed levels throughout the run: none may ever be negative.
        try:
            with schema_context(schema):
                start.wait()
                while not done.is_set():
                    lowest = min(StockLevel.objects.filter(product_id=item.pk)
                                 .values_list("quantity", flat=True))
                    lowest_seen.append(lowest)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    watch = threading.Thread(target=watcher)
    for thread in [*threads, watch]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    watch.join(timeout=30)

    assert not failures, failures
    assert sum(refused.values()) > 0, "the run should have tried to over-issue"
    assert len(applied) + sum(refused.values()) == WRITERS * OPERATIONS_PER_WRITER
    assert lowest_seen and min(lowest_seen) >= 0

    expected = Counter({ids[0]: 40})
    for _kind, source, target, quantity in applied:
        if source:
            expected[source] -= quantity
        if target:
            expected[target] += quantity
    with schema_context(schema):
        levels = dict(StockLevel.objects.filter(product_id=item.pk)
                      .values_list("warehouse_id", "quantity"))
        # Only the applied operations (plus the opening receipt) left movements behind.
        assert StockMovement.objects.filter(product_id=item.pk).count() == len(applied) + 1
        assert stock_level_discrepancies(product_id=item.pk) == []
    assert all(quantity >= 0 for quantity in levels.values())
    assert {w: levels.get(w, 0) for w in ids} == {w: expected[w] for w in ids}
