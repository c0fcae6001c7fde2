"""A cheap structural hash of many schemas' catalogs, in one query: the production check that a
tenant schema is still the template's twin before the template's migration plan is applied to
it. Tables, live columns (by position, type, nullability, identity, default, collation),
constraints, indexes and sequences, rendered without the schema's own name, so two schemas with
the same structure hash equal. (tests/schema_fingerprint.py is the exhaustive, row-level
comparison the tests use; this is its fast sibling for the fleet.)

No function here opens a table: ``pg_get_expr``, ``pg_get_indexdef`` and
``pg_get_constraintdef`` all do, and would wait behind one busy tenant's lock, stalling the run.
So constraints and indexes are described from the raw catalog (column names, referenced table,
operator classes, actions) and expressions (defaults, checks, index expressions) are compared
as their stored trees, without what a
copy legitimately changes (source text positions, implicit-cast flags, column numbers, which
dropped columns shift). Trees name objects by OID, so a default that refers to a schema's own
object (a sequence) makes schemas differ -- and fall back to Django, the safe side."""

from __future__ import annotations

from django.db import connection

_CATALOG_HASH_SQL = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY(%(schemas)s)
), items AS (
    SELECT c.relnamespace AS ns, concat_ws(':', 'rel', c.relname, c.relkind, c.relpersistence)
           AS item
      FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind <> 'i'
    UNION ALL
    SELECT c.relnamespace, concat_ws(':', 'col', c.relname,
               row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
               format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
               a.attgenerated, regexp_replace(d.adbin::text, %(volatile)s, '', 'g'),
               a.attcollation)
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT con.connamespace, concat_ws(':', 'con', c.relname, con.conname, con.contype,
               (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                  FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
               f.relname,
               (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                  FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
               con.confupdtype, con.confdeltype, con.confmatchtype, con.condeferrable,
               con.condeferred, con.convalidated,
               regexp_replace(con.conbin::text, %(volatile)s, '', 'g'))
      FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace
      LEFT JOIN pg_class c ON c.oid = con.conrelid
      LEFT JOIN pg_class f ON f.oid = con.confrelid
    UNION ALL
    SELECT ic.relnamespace, concat_ws(':', 'idx', c.relname, ic.relname, am.amname,
               i.indisunique, i.indisprimary, i.indnullsnotdistinct, i.indoption::text,
               (SELECT string_agg(coalesce(a.attname, '(expr)'), ',' ORDER BY k.ord)
                  FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                  LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),
               -- Operator classes by OID: the built-in ones are the same objects for every
               -- schema of the database (a name lookup per index was a third of the query).
               i.indclass::text,
               regexp_replace(i.indexprs::text, %(volatile)s, '', 'g'),
               regexp_replace(i.indpred::text, %(volatile)s, '', 'g'))
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_class c ON c.oid = i.indrelid JOIN pg_am am ON am.oid = ic.relam
     WHERE ic.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT s.relnamespace, concat_ws(':', 'seq', s.relname, q.seqtypid, q.seqstart,
               q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle)
      FROM pg_sequence q JOIN pg_class s ON s.oid = q.seqrelid
     WHERE s.relnamespace IN (SELECT oid FROM ns)
)
SELECT ns.nspname, coalesce(h.hash, md5(''))
  FROM ns LEFT JOIN (SELECT items.ns, md5(string_agg(items.item, E'\n' ORDER BY items.item)) AS hash
                       FROM items GROUP BY items.ns) h ON h.ns = ns.oid
"""


# What differs between expression trees of equal expressions in two schemas: source text
# positions, how a cast was written (implicit or explicit), column numbers (dropped columns
# shift them).
_VOLATILE = r" :(location|\w*format|varattno|varattnosyn) -?\d+"


def catalog_hashes(schemas: list[str]) -> dict[str, str]:
    """{schema: md5 of its structure} for the schemas that exist, from one query."""
    if not schemas:
        return {}
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(_CATALOG_HASH_SQL, {"schemas": list(schemas), "volatile": _VOLATILE})
        return dict(cursor.fetchall())
