"""Catalog reads that stay fast however many tenant schemas the database holds.

``pg_class``, ``pg_type`` and ``pg_constraint`` have no index on the schema alone, so
``WHERE c.relnamespace = ...`` reads the whole catalog: ~240 relations per tenant, 2.4 million
rows at 10,000 tenants (hundreds of milliseconds per query, and growing with every sign-up).
Every relation made by CREATE TABLE / SEQUENCE / VIEW depends on its schema in ``pg_depend``,
which is indexed on the referenced object: the relations of one schema are one index scan away.
(Indexes, constraints and row types depend on their table, not on the schema: find them through
the table.) Both subqueries are constants, used as ``c.oid IN <subquery>``."""

from __future__ import annotations

_RELATIONS_OF = ("(SELECT d.objid FROM pg_depend d"
                 " WHERE d.refclassid = 'pg_namespace'::regclass"
                 " AND d.refobjid = (SELECT oid FROM pg_namespace WHERE nspname = {})"
                 " AND d.refobjsubid = 0 AND d.classid = 'pg_class'::regclass)")

# The relations of the schema named by the query's (next) parameter.
RELATIONS_OF_NAMED_SCHEMA = _RELATIONS_OF.format("%s")
# The relations of the connection's current schema (the tenant's, on a tenant connection).
RELATIONS_OF_CURRENT_SCHEMA = _RELATIONS_OF.format("current_schema()")
