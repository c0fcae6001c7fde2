"""Comparing two schemas object by object: the proof, used by the tests and by
bench/provision.py, that a replayed (or restored) schema is the template's twin.

Test and benchmark code only: nothing in production compares schemas."""

from __future__ import annotations

from django.db import connection, transaction

from tenants.schema.names import quote
from tenants.schema.replay import UNSUPPORTED_OBJECTS_SQL, schema_members

_FINGERPRINT_SQL = {
    "tables": """
        SELECT c.relname, c.relpersistence FROM pg_class c
         WHERE c.relnamespace = %(ns)s AND c.relkind = 'r'""",
    "columns": """
        SELECT c.relname,
               -- position among live columns: a dropped column leaves a gap in attnum that
               -- a copy does not reproduce, and need not
               row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
               a.attname, format_type(a.atttypid, a.atttypmod),
               a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
               a.attcollation
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attnum > 0
           AND NOT a.attisdropped""",
    "constraints": """
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid),
               con.condeferrable, con.condeferred, con.convalidated
          FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
         WHERE con.connamespace = %(ns)s""",
    "indexes": """
        SELECT c.relname, ic.relname,
               regexp_replace(pg_get_indexdef(i.indexrelid), ' ON (ONLY )?\\S+ ', ' ON ')
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_class c ON c.oid = i.indrelid
         WHERE ic.relnamespace = %(ns)s""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size, last_value
          FROM pg_sequences WHERE schemaname = %(schema)s""",
    "comments": """
        SELECT c.relname, d.objsubid, d.description
          FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
         WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = %(ns)s""",
    "triggers": """
        SELECT c.relname, t.tgname, t.tgenabled,
               regexp_replace(pg_get_triggerdef(t.oid), ' ON \\S+ ', ' ON ')
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal""",
    "other objects": UNSUPPORTED_OBJECTS_SQL,
}


def schema_fingerprint(schema_name: str, *, with_rows: bool = True) -> dict[str, list]:
    """Everything that defines a schema, in comparable form: two schemas with equal
    fingerprints have the same tables, columns, constraints, indexes (by name and definition),
    sequences, comments and, with ``with_rows``, the same rows in every table and the same
    sequence positions. Relative names are rendered with search_path = the schema itself, so a
    copy compares equal to its original."""
    fingerprint: dict[str, list] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path = {quote(schema_name)}")
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema_name])
        params = {"ns": cursor.fetchone()[0], "schema": schema_name}
        params.update(schema_members(cursor, params["ns"]))
        for name, sql in _FINGERPRINT_SQL.items():
            cursor.execute(sql, params)
            fingerprint[name] = sorted(cursor.fetchall(), key=repr)
        if not with_rows:  # where a sequence stands is part of the data, not the structure
            fingerprint["sequences"] = [row[:-1] for row in fingerprint["sequences"]]
        if with_rows:
            for table, _persistence in fingerprint["tables"]:
                cursor.execute("SELECT quote_ident(%s)", [table])
                quoted = cursor.fetchone()[0]
                cursor.execute(f"SELECT * FROM {quote(schema_name)}.{quoted}")  # noqa: S608
                fingerprint[f"rows of {table}"] = sorted(cursor.fetchall(), key=repr)
    connection.search_path_set_schemas = None
    return fingerprint


def fingerprint_differences(a: dict[str, list], b: dict[str, list]) -> list[str]:
    """Human-readable differences between two fingerprints (empty when equal)."""
    problems = []
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key, []), b.get(key, [])
        if left != right:
            only_left = [r for r in left if r not in right][:3]
            only_right = [r for r in right if r not in left][:3]
            problems.append(f"{key}: only in first {only_left}, only in second {only_right}")
    return problems
