"""A third way to create a tenant schema: replay the template schema's DDL and copy its rows.

Why: both existing methods are too slow for the 1-second provisioning target, and one of them
gets slower with every tenant (figures in docs/benchmarks.md):

* ``clone`` (django-tenants' ``clone_schema()``, pg-clone-schema in PL/pgSQL) re-creates its
  ~4,600 lines of functions on every call and then looks every table, column and constraint up
  through ``information_schema`` views, whose cost grows with the whole catalog: about 5 s per
  tenant with 40 tenants present, more with each one.
* ``migrate`` renders the migration state of every tenant app in Python and runs each migration
  (1-2 s with five tenant apps, growing with every migration written), then ``post_migrate``
  creates content types and permissions row by row.

``replay`` reads the template's definition straight from ``pg_catalog`` (indexed lookups by the
template's namespace; no ``information_schema``), renders it as plain DDL aimed at the new schema
and runs it as ONE multi-statement batch in one transaction: tables, the template's rows
(``django_migrations``, content types, permissions, seed data), identity sequence positions,
keys and checks, indexes, foreign keys, comments, and plain row triggers that call a function
outside the schema (the audit log's append-only trigger calls ``public.audit_append_only()``).
A Django-migrated schema holds only those object kinds; anything else in the template (views,
functions, other triggers, policies, stand-alone
sequences, types, grants, partitioning, ...) makes ``replay_sql`` raise ``UnsupportedTemplate``
and ``schema_create_by_replay`` falls back to the clone, so an exotic migration makes
provisioning slower, never wrong.

Names are kept exactly (constraints, indexes, identity sequences), so later migrations that
refer to an index or constraint by name work on replayed schemas as on migrated ones; the tests
and the benchmark prove it by comparing schemas object by object (tests/schema_fingerprint.py).

The fallback to the clone is ``tenants.schema.create``'s business, not this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection, transaction

from tenants.schema.names import quote


class UnsupportedTemplate(Exception):
    """The template holds an object kind the replay does not reproduce."""


# -- catalog queries ---------------------------------------------------------------------------
# Every query runs with search_path = <template> (SET LOCAL, inside the caller's transaction), so
# pg_get_expr / pg_get_constraintdef / format_type leave the template's own objects unqualified
# and the replay, run with search_path = <new schema>, points them at the new schema's objects.
# Objects elsewhere (public, extensions) come out schema-qualified and stay where they are.

_SCHEMA_MEMBERS_SQL = """
SELECT CASE d.classid WHEN 'pg_class'::regclass THEN 'r' ELSE 't' END, d.objid
  FROM pg_depend d
 WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %(ns)s AND d.refobjsubid = 0
   AND d.classid IN ('pg_class'::regclass, 'pg_type'::regclass)
"""

def schema_members(cursor, namespace_oid: int) -> dict[str, list[int]]:
    """``{"rels": [...], "types": [...]}``: the relations and the standalone types of a schema,
    the parameters of the catalog queries below. Read from the index on what depends on the
    schema: pg_class, pg_type and pg_constraint have no index on the namespace alone, so
    ``WHERE relnamespace = ...`` read the whole catalog, which every tenant makes bigger (~200
    relations each), and provisioning got slower with every tenant. Every relation made by
    CREATE TABLE / SEQUENCE / VIEW depends on its schema; indexes, constraints, triggers and
    row types are found through their table."""
    cursor.execute(_SCHEMA_MEMBERS_SQL, {"ns": namespace_oid})
    members = cursor.fetchall()
    return {"rels": [oid for kind, oid in members if kind == "r"],
            "types": [oid for kind, oid in members if kind == "t"]}


UNSUPPORTED_OBJECTS_SQL = """
SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text
  FROM pg_class c
 WHERE c.oid = ANY(%(rels)s) AND c.relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'sequence ' || c.relname || ' not owned by an identity column'
  FROM pg_class c
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'i')
UNION ALL
SELECT 'table ' || c.relname || ' with options, grants, row security, inheritance or partitions'
  FROM pg_class c
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'r'
   AND (c.reloptions IS NOT NULL OR c.relacl IS NOT NULL OR c.relrowsecurity
        OR c.relispartition OR c.relhassubclass
        OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid))
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' with grants or statistics options'
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'r' AND a.attnum > 0
   AND (a.attacl IS NOT NULL
        -- PostgreSQL's column options are n_distinct and n_distinct_inherited (ALTER COLUMN
        -- SET). Some builds stamp every column with an option of their own (seen on a Debian
        -- PostgreSQL 15.20: pg_attver=...), which no ALTER sets and every new column gets
        -- anyway: not a reason to give up the replay for cloning on every provisioning.
        OR EXISTS (SELECT 1 FROM unnest(a.attoptions) o
                    WHERE split_part(o, '=', 1) IN ('n_distinct', 'n_distinct_inherited')))
UNION ALL
SELECT 'function ' || p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s
UNION ALL
SELECT 'type ' || t.typname
  FROM pg_type t
 WHERE t.oid = ANY(%(types)s)
UNION ALL
SELECT 'trigger ' || t.tgname || ' calling a function of the schema, or a constraint trigger'
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE c.oid = ANY(%(rels)s) AND NOT t.tgisinternal
   AND (p.pronamespace = %(ns)s OR t.tgconstraint <> 0 OR c.relkind <> 'r')
UNION ALL
SELECT 'rule ' || r.rulename
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
 WHERE c.oid = ANY(%(rels)s)
UNION ALL
SELECT 'policy ' || p.polname
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
 WHERE c.oid = ANY(%(rels)s)
UNION ALL
SELECT 'statistics object ' || s.stxname FROM pg_statistic_ext s WHERE s.stxnamespace = %(ns)s
UNION ALL
SELECT 'collation ' || collname FROM pg_collation WHERE collnamespace = %(ns)s
UNION ALL
SELECT 'operator ' || oprname FROM pg_operator WHERE oprnamespace = %(ns)s
UNION ALL
SELECT 'text search configuration ' || cfgname FROM pg_ts_config WHERE cfgnamespace = %(ns)s
UNION ALL
SELECT 'grants on the schema' FROM pg_namespace WHERE oid = %(ns)s AND nspacl IS NOT NULL
UNION ALL
SELECT 'constraint ' || con.conname || ' of kind ' || con.contype::text
  FROM pg_constraint con
 WHERE con.conrelid = ANY(%(rels)s) AND con.contype NOT IN ('p', 'u', 'c', 'f', 'x', 'n')
UNION ALL
SELECT 'domain constraint ' || con.conname
  FROM pg_constraint con
 WHERE con.contypid = ANY(%(types)s)
"""

_TABLES_SQL = """
SELECT c.oid, quote_ident(c.relname), c.relpersistence = 'u'
  FROM pg_class c
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'r'
 ORDER BY c.relname
"""

_COLUMNS_SQL = """
SELECT a.attrelid, quote_ident(a.attname),
       format_type(a.atttypid, a.atttypmod),
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
       a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(d.adbin, d.adrelid),
       s.seqrelid IS NOT NULL,
       quote_ident(sc.relname),
       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_depend dep ON dep.refclassid = 'pg_class'::regclass
        AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
        AND dep.classid = 'pg_class'::regclass AND a.attidentity <> ''
  LEFT JOIN pg_sequence s ON s.seqrelid = dep.objid
  LEFT JOIN pg_class sc ON sc.oid = s.seqrelid
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS_SQL = """
SELECT con.conrelid, quote_ident(con.conname), con.contype,
       pg_get_constraintdef(con.oid)
  FROM pg_constraint con
 WHERE con.conrelid = ANY(%(rels)s) AND con.contype IN ('p', 'u', 'c', 'f', 'x')
   AND NOT (con.contype = 'c' AND con.conislocal IS FALSE)
 ORDER BY con.conrelid, con.contype <> 'p', con.conname
"""

# Indexes that no constraint owns (those come with their constraint).
_INDEXES_SQL = """
SELECT i.indrelid, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE i.indrelid = ANY(%(rels)s)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                    WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                      AND con.contype IN ('p', 'u', 'x'))
 ORDER BY ic.relname
"""

_SEQUENCE_VALUES_SQL = """
SELECT quote_ident(c.relname), v.last_value
  FROM pg_class c, pg_sequence_last_value(c.oid) AS v(last_value)
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'S' AND v.last_value IS NOT NULL
"""

_COMMENTS_SQL = """
SELECT d.objoid, d.objsubid, quote_ident(a.attname), d.description
  FROM pg_description d
  JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
  LEFT JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
 WHERE c.oid = ANY(%(rels)s) AND c.relkind = 'r'
"""

# Triggers the check above let through: on a table, calling a function elsewhere (rendered
# schema-qualified, since the search path is the template alone).
_TRIGGERS_SQL = """
SELECT t.tgrelid, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.oid = ANY(%(rels)s) AND NOT t.tgisinternal
 ORDER BY t.tgname
"""

_TRIGGER_DEF = re.compile(r"^CREATE TRIGGER (\S+) (.+?) ON \S+ (FOR EACH .*)$", re.S)

_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?\S+ (USING .*)$", re.S)


@dataclass
class _Column:
    name: str
    definition: str
    copied: bool  # False for generated columns, which PostgreSQL computes itself


def _literal(value: str) -> str:
    """A SQL string literal (for comments); standard_conforming_strings is on since 9.1."""
    return "'" + value.replace("'", "''") + "'"


def replay_sql(template: str, target: str) -> str:
    """The SQL that makes ``target`` a copy of ``template``, run with search_path = target.
    Must be called inside a transaction (it sets search_path locally)."""
    tpl, dst = quote(template), quote(target)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path = {tpl}")
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [template])
        row = cursor.fetchone()
        if row is None:
            raise UnsupportedTemplate(f"template schema {template!r} does not exist")
        params = {"ns": row[0], "schema": template}
        params.update(schema_members(cursor, row[0]))

        cursor.execute(UNSUPPORTED_OBJECTS_SQL, params)
        unsupported = [r[0] for r in cursor.fetchall()]
        if unsupported:
            raise UnsupportedTemplate("; ".join(sorted(unsupported)[:10]))

        cursor.execute(_TABLES_SQL, params)
        tables = {oid: (name, unlogged) for oid, name, unlogged in cursor.fetchall()}

        columns: dict[int, list[_Column]] = {oid: [] for oid in tables}
        cursor.execute(_COLUMNS_SQL, params)
        for (
            relid,
            name,
            type_,
            collation,
            notnull,
            identity,
            generated,
            default,
            has_seq,
            seq_name,
            start,
            increment,
            minimum,
            maximum,
            cache,
            cycle,
        ) in cursor.fetchall():
            parts = [name, type_]
            if collation:
                parts.append(f"COLLATE {collation}")
            if generated == "s":
                parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
            elif identity:
                if not has_seq:
                    raise UnsupportedTemplate(f"identity column {name} without its sequence")
                kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
                parts.append(
                    # The sequence's type follows the column's (AS is refused here).
                    f"GENERATED {kind} AS IDENTITY (SEQUENCE NAME {dst}.{seq_name} "
                    f"START WITH {start} INCREMENT BY {increment} "
                    f"MINVALUE {minimum} MAXVALUE {maximum} CACHE {cache} "
                    f"{'CYCLE' if cycle else 'NO CYCLE'})"
                )
            elif default is not None:
                parts.append(f"DEFAULT {default}")
            if notnull:
                parts.append("NOT NULL")
            columns[relid].append(_Column(name, " ".join(parts), copied=generated != "s"))

        cursor.execute(_CONSTRAINTS_SQL, params)
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES_SQL, params)
        indexes = cursor.fetchall()
        cursor.execute(_SEQUENCE_VALUES_SQL, params)
        sequence_values = cursor.fetchall()
        cursor.execute(_COMMENTS_SQL, params)
        comments = cursor.fetchall()
        cursor.execute(_TRIGGERS_SQL, params)
        triggers = cursor.fetchall()

    # Keys and checks go inside CREATE TABLE (one statement per table instead of one more per
    # constraint: DDL costs about a millisecond a statement); foreign keys wait until every
    # table exists and go in one ALTER TABLE per table.
    inline: dict[int, list[str]] = {oid: [] for oid in tables}
    foreign: dict[int, list[str]] = {}
    for relid, name, contype, definition in constraints:
        clause = f"CONSTRAINT {name} {definition}"
        if contype == "f":
            foreign.setdefault(relid, []).append(f"ADD {clause}")
        else:
            inline[relid].append(clause)

    statements = [f"CREATE SCHEMA {dst}", f"SET LOCAL search_path = {dst}"]
    for oid, (name, unlogged) in tables.items():
        body = ",\n  ".join([col.definition for col in columns[oid]] + inline[oid])
        statements.append(
            f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {dst}.{name} (\n  {body}\n)"
        )
    for oid, (name, _unlogged) in tables.items():
        copied = ", ".join(col.name for col in columns[oid] if col.copied)
        if copied:
            # Every name was quoted by quote_ident() or quote().
            statements.append(
                f"INSERT INTO {dst}.{name} ({copied}) OVERRIDING SYSTEM VALUE "  # noqa: S608
                f"SELECT {copied} FROM {tpl}.{name}"
            )
    for seq_name, last_value in sequence_values:
        statements.append(
            f"SELECT setval({_literal(f'{dst}.{seq_name}')}, {int(last_value)}, true)"
        )
    for relid, definition in indexes:
        match = _INDEX_DEF.match(definition)
        if match is None:
            raise UnsupportedTemplate(f"index definition not understood: {definition}")
        unique, index_name, only, rest = match.groups()
        statements.append(
            f"CREATE {unique or ''}INDEX {index_name} ON {only or ''}"
            f"{dst}.{tables[relid][0]} {rest}"
        )
    for relid, clauses in foreign.items():
        statements.append(f"ALTER TABLE {dst}.{tables[relid][0]} " + ", ".join(clauses))
    for relid, definition in triggers:
        match = _TRIGGER_DEF.match(definition)
        if match is None:
            raise UnsupportedTemplate(f"trigger definition not understood: {definition}")
        name, timing, rest = match.groups()
        statements.append(f"CREATE TRIGGER {name} {timing} ON {dst}.{tables[relid][0]} {rest}")
    for objoid, subid, column, text in comments:
        if subid == 0:
            statements.append(f"COMMENT ON TABLE {dst}.{tables[objoid][0]} IS {_literal(text)}")
        else:
            statements.append(
                f"COMMENT ON COLUMN {dst}.{tables[objoid][0]}.{column} IS {_literal(text)}"
            )
    return ";\n".join(statements) + ";"


def replay(template: str, schema_name: str) -> None:
    """Create ``schema_name`` as a copy of ``template`` (structure and rows) in one
    transaction; ``UnsupportedTemplate`` (and nothing created) when the template holds
    objects the replay does not reproduce."""
    try:
        with transaction.atomic():
            sql = replay_sql(template, schema_name)
            with connection.cursor() as cursor:
                # One round trip: psycopg sends a parameterless query with the simple protocol,
                # which accepts many statements.
                cursor.execute(sql)
    finally:
        # SET LOCAL ended with the transaction; make django-tenants re-issue its own SET.
        connection.search_path_set_schemas = None
