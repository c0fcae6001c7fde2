"""Demo inventory for ``manage.py seed_demo`` (run inside the tenant's schema): a hardware
wholesaler with ~300 products in 9 categories, 3 warehouses and ~500 movements over the last two
months, recorded through the services like real ones, so levels, history, valuation and
low-stock alerts all have something to show. Idempotent: a tenant that has products is left
alone."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from tenant_apps.inventory.models import Category, MovementKind, Product, Unit, Warehouse
from tenant_apps.inventory.services import MovementInput, low_stock_check, stock_movements_record

WAREHOUSES = [
    ("MAIN", "Central warehouse", "Industriestrasse 12, 12099 Berlin"),
    ("NORTH", "Hamburg depot", "Hafenweg 4, 20457 Hamburg"),
    ("SOUTH", "Munich depot", "Gewerbering 7, 80939 Munich"),
]

# category -> (SKU prefix, [(name pattern, variants, unit, unit cost range)])
CATALOG: dict[str, tuple[str, list[tuple[str, list[str], str, tuple[float, float]]]]] = {
    "Fasteners": ("FS", [
        ("Hex bolt {} zinc plated",
         [f"M{d}x{n}" for d in (5, 6, 8, 10, 12, 16) for n in (20, 30, 40, 60, 80)],
         Unit.PIECE, (0.05, 0.40)),
        ("Hex nut {} zinc plated", ["M6", "M8", "M10", "M12", "M16"], Unit.PIECE, (0.02, 0.15)),
        ("Flat washer {}", ["M6", "M8", "M10", "M12", "M16"], Unit.PIECE, (0.01, 0.08)),
        ("Wood screw {} mm, box of 200",
         ["3x20", "3.5x30", "3.5x40", "4x40", "4x50", "4.5x60", "5x60", "5x80", "6x100", "6x120"],
         Unit.BOX, (3.0, 12.0)),
        ("Wall plug {} mm, pack of 50", ["6", "8", "10", "12"], Unit.PACK, (1.5, 4.0)),
        ("Threaded rod {} x 1 m", ["M6", "M8", "M10", "M12", "M16"], Unit.PIECE, (0.8, 4.0)),
        ("Nylon lock nut {}", ["M5", "M6", "M8", "M10", "M12", "M16"], Unit.PIECE,
         (0.03, 0.25)),
        ("Carriage bolt {}", [f"M{d}x{n}" for d in (6, 8) for n in (40, 60, 80, 100)],
         Unit.PIECE, (0.10, 0.60)),
    ]),
    "Electrical": ("EL", [
        ("Installation cable NYM-J {} mm²", ["3x1.5", "3x2.5", "5x1.5", "5x2.5", "5x4", "5x6"],
         Unit.METRE, (0.40, 1.60)),
        ("LED bulb E27 {} W warm white", ["5", "8", "10", "13"], Unit.PIECE, (1.2, 4.5)),
        ("Circuit breaker {}", ["B10", "B16", "B20", "C16", "C32"], Unit.PIECE, (3.0, 9.0)),
        ("Cable ties {} mm, pack of 100", ["100", "200", "300", "450"], Unit.PACK, (1.0, 6.0)),
        ("Socket outlet {}", ["white", "anthracite", "double white", "outdoor IP44"],
         Unit.PIECE, (2.5, 11.0)),
        ("Extension cord {}", ["3 m", "5 m", "10 m", "25 m reel"], Unit.PIECE, (6.0, 35.0)),
        ("Cable gland {}", ["M16", "M20", "M25", "M32", "M40"], Unit.PIECE, (0.3, 1.5)),
        ("Junction box {}", ["surface 85 mm", "flush 68 mm", "IP65 100 mm", "IP65 150 mm"],
         Unit.PIECE, (0.8, 6.0)),
    ]),
    "Plumbing": ("PL", [
        ("Copper pipe {} mm", ["12", "15", "18", "22", "28"], Unit.METRE, (4.0, 14.0)),
        ("Ball valve {}", ['1/2"', '3/4"', '1"', '1 1/4"'], Unit.PIECE, (5.0, 22.0)),
        ("Pipe clamp {} mm", ["15", "22", "28", "35", "42"], Unit.PIECE, (0.6, 2.4)),
        ("PTFE thread seal tape {}", ["12 m", "25 m"], Unit.PIECE, (0.5, 1.2)),
        ("Siphon {}", ["sink", "basin", "shower"], Unit.PIECE, (4.0, 12.0)),
        ("Press fitting elbow 90° {} mm", ["15", "18", "22", "28"], Unit.PIECE, (2.0, 7.0)),
        ("Press fitting tee {} mm", ["15", "18", "22", "28"], Unit.PIECE, (3.0, 9.0)),
    ]),
    "Hand tools": ("HT", [
        ("Claw hammer {}", ["300 g", "450 g", "600 g"], Unit.PIECE, (6.0, 15.0)),
        ("Screwdriver {}", ["PH1", "PH2", "PZ2", "slotted 5.5", "slotted 8"], Unit.PIECE,
         (2.0, 6.0)),
        ("Tape measure {}", ["3 m", "5 m", "8 m"], Unit.PIECE, (3.0, 9.0)),
        ("Spirit level {}", ["40 cm", "60 cm", "100 cm", "200 cm"], Unit.PIECE, (6.0, 30.0)),
        ("Hand saw {}", ["350 mm", "450 mm", "550 mm"], Unit.PIECE, (8.0, 18.0)),
        ("Combination spanner {} mm", [str(n) for n in range(8, 25)], Unit.PIECE, (2.0, 8.0)),
    ]),
    "Power tools": ("PT", [
        ("Cordless drill {}", ["12 V", "18 V", "18 V brushless"], Unit.PIECE, (45.0, 140.0)),
        ("Angle grinder {}", ["115 mm", "125 mm", "230 mm"], Unit.PIECE, (35.0, 120.0)),
        ("Drill bit HSS {} mm",
         ["2", "2.5", "3", "3.5", "4", "4.5", "5", "5.5", "6", "7", "8", "9", "10", "12", "13"],
         Unit.PIECE, (0.8, 4.0)),
        ("Cutting disc {}", ["115x1 mm", "125x1 mm", "230x2 mm"], Unit.PIECE, (0.6, 2.5)),
    ]),
    "Safety": ("SF", [
        ("Nitrile gloves size {}, box of 100", ["S", "M", "L", "XL"], Unit.BOX, (5.0, 9.0)),
        ("Safety glasses {}", ["clear", "tinted", "over-spectacles"], Unit.PIECE, (2.0, 7.0)),
        ("Ear plugs, box of {}", ["50 pairs", "200 pairs"], Unit.BOX, (6.0, 20.0)),
        ("Hi-vis vest size {}", ["M", "L", "XL", "XXL"], Unit.PIECE, (2.0, 5.0)),
        ("Safety helmet {}", ["white", "yellow", "red", "blue", "orange"], Unit.PIECE,
         (5.0, 12.0)),
        ("Dust mask {}, box of 10", ["FFP1", "FFP2", "FFP3"], Unit.BOX, (6.0, 25.0)),
        ("Work boots S3 size {}", [str(n) for n in range(38, 48)], Unit.PAIR, (28.0, 55.0)),
    ]),
    "Paint and adhesives": ("PA", [
        ("Interior wall paint white {}", ["2.5 l", "5 l", "10 l"], Unit.PIECE, (9.0, 35.0)),
        ("Wood glue D3, {}", ["0.5 kg", "1 kg", "5 kg"], Unit.PIECE, (3.0, 20.0)),
        ("Silicone sealant {} 310 ml", ["clear", "white", "grey", "black"], Unit.PIECE,
         (2.5, 5.0)),
        ("Primer, sold by the litre ({})", ["water-based", "solvent-based"], Unit.LITRE,
         (4.0, 9.0)),
        ("Masking tape {} mm x 50 m", ["19", "25", "38", "50"], Unit.PIECE, (1.0, 4.0)),
        ("Paint roller {} cm", ["10", "18", "25", "30"], Unit.PIECE, (2.0, 8.0)),
        ("Flat brush {} mm", ["20", "30", "40", "50", "70", "100"], Unit.PIECE, (1.0, 6.0)),
        ("Tile adhesive ({})", ["flexible", "rapid"], Unit.KILOGRAM, (0.4, 1.1)),
    ]),
    "Packaging": ("PK", [
        ("Cardboard box {} cm", ["30x20x15", "40x30x20", "60x40x40", "80x60x50"], Unit.PIECE,
         (0.4, 2.5)),
        ("Stretch film {}", ["500 mm x 300 m", "450 mm x 250 m"], Unit.PIECE, (6.0, 12.0)),
        ("Packing tape {}", ["brown 50 mm", "clear 50 mm", "fragile 50 mm"], Unit.PIECE,
         (0.9, 2.0)),
        ("Bubble wrap {}", ["50 cm", "100 cm"], Unit.METRE, (0.2, 0.6)),
        ("Pallet label {}", ["fragile", "this way up", "heavy"], Unit.PACK, (2.0, 5.0)),
    ]),
    "Cleaning": ("CL", [
        ("All-purpose cleaner {}", ["1 l", "5 l", "10 l"], Unit.PIECE, (2.0, 15.0)),
        ("Microfibre cloth {}, pack of 10", ["blue", "red", "yellow", "green"], Unit.PACK,
         (4.0, 8.0)),
        ("Bin bags {} l, roll of 25", ["30", "60", "120", "240"], Unit.PIECE, (1.5, 6.0)),
        ("Hand cleaner {}", ["500 ml", "2 l", "4 l"], Unit.PIECE, (3.0, 16.0)),
        ("Floor detergent, sold by the litre ({})", ["neutral", "alkaline"], Unit.LITRE,
         (1.0, 3.0)),
    ]),
}

DAYS = 60


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _opening_quantity(rng: random.Random, unit: str) -> Decimal:
    if unit in (Unit.METRE, Unit.LITRE, Unit.KILOGRAM):
        return Decimal(rng.randrange(50, 2000, 25))
    return Decimal(rng.choice([10, 20, 25, 50, 100, 200, 500, 1000]))


def seed() -> None:
    if Product.objects.exists():
        return
    rng = random.Random(20260101)  # the same demo every time
    with transaction.atomic():
        warehouses = [Warehouse.objects.create(code=code, name=name, address=address)
                      for code, name, address in WAREHOUSES]
        products: list[Product] = []
        for category_name, (prefix, families) in CATALOG.items():
            category = Category.objects.create(name=category_name)
            for family, (pattern, variants, unit, (low, high)) in enumerate(families, start=1):
                for index, variant in enumerate(variants, start=1):
                    cost = _money(rng, low, high)
                    products.append(Product(
                        sku=f"{prefix}-{family:02d}{index:03d}", name=pattern.format(variant),
                        unit=unit, category=category, cost=cost,
                        price=(cost * Decimal(str(rng.uniform(1.4, 2.2)))).quantize(
                            Decimal("0.01")),
                        barcode=f"40{rng.randrange(10**10, 10**11)}",
                        reorder_level=Decimal(rng.choice([0, 5, 10, 20, 50]))))
        Product.objects.bulk_create(products)
        _seed_movements(rng, products, warehouses)
    low_stock_check()


def _seed_movements(rng: random.Random, products: list[Product],
                    warehouses: list[Warehouse]) -> None:
    """Receipts into MAIN, then over two months transfers to the depots, sales issued from
    all three, and a few count corrections; applied in date order, so none over-issues."""
    main, *depots = warehouses
    start = timezone.now() - dt.timedelta(days=DAYS)
    levels = {(p.pk, w.pk): Decimal(0) for p in products for w in warehouses}
    movements: list[MovementInput] = []

    def at(day: float) -> dt.datetime:
        return start + dt.timedelta(days=day, minutes=rng.randrange(8 * 60, 18 * 60))

    for product in rng.sample(products, k=int(len(products) * 0.8)):
        quantity = _opening_quantity(rng, product.unit)
        movements.append(MovementInput(kind=MovementKind.RECEIPT, product_id=product.pk,
                                       quantity=quantity, to_warehouse_id=main.pk,
                                       reference=f"PO-{rng.randrange(10000, 99999)}",
                                       occurred_at=at(rng.uniform(0, 5))))
        levels[(product.pk, main.pk)] += quantity
    stocked = [p for p in products if levels[(p.pk, main.pk)] > 0]

    for _ in range(120):
        product, depot = rng.choice(stocked), rng.choice(depots)
        quantity = (levels[(product.pk, main.pk)] * Decimal("0.3")).to_integral_value()
        if quantity <= 0:
            continue
        movements.append(MovementInput(kind=MovementKind.TRANSFER, product_id=product.pk,
                                       quantity=quantity, from_warehouse_id=main.pk,
                                       to_warehouse_id=depot.pk,
                                       reference=f"TR-{rng.randrange(1000, 9999)}",
                                       occurred_at=at(rng.uniform(6, 20))))
        levels[(product.pk, main.pk)] -= quantity
        levels[(product.pk, depot.pk)] += quantity

    for _ in range(150):
        product, warehouse = rng.choice(stocked), rng.choice(warehouses)
        available = levels[(product.pk, warehouse.pk)]
        quantity = (available * Decimal(str(rng.uniform(0.1, 0.9)))).to_integral_value()
        if quantity <= 0:
            continue
        movements.append(MovementInput(kind=MovementKind.ISSUE, product_id=product.pk,
                                       quantity=quantity, from_warehouse_id=warehouse.pk,
                                       reference=f"SO-{rng.randrange(100000, 999999)}",
                                       occurred_at=at(rng.uniform(21, DAYS - 2))))
        levels[(product.pk, warehouse.pk)] -= quantity

    for _ in range(20):
        product, warehouse = rng.choice(stocked), rng.choice(warehouses)
        if levels[(product.pk, warehouse.pk)] < 1:
            continue
        movements.append(MovementInput(kind=MovementKind.ADJUSTMENT, product_id=product.pk,
                                       quantity=Decimal(1), from_warehouse_id=warehouse.pk,
                                       note="Damaged in storage; written off at the count.",
                                       occurred_at=at(DAYS - 1)))
        levels[(product.pk, warehouse.pk)] -= 1

    stock_movements_record(movements=movements, limit=None)
