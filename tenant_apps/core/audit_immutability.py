"""Audit entries are append-only at the database: a row trigger refuses UPDATE and DELETE for the
application's own role, whatever code path (ORM, admin, raw SQL, injected SQL) tries.

(This module is in the core, the lowest layer, because both the public log's and each tenant's
migrations use it.)

The one exception is the retention purge. It runs ``SET LOCAL audit.purge_before = '<cutoff>'``
in its own transaction, and the trigger then lets a DELETE through only for a row whose ``at``
is older than both that cutoff and a floor fixed here (``AUDIT_MIN_RETENTION_DAYS``). So:

* an UPDATE is always refused (no setting changes that);
* a DELETE without the setting is refused;
* a DELETE with the setting can only remove entries older than the floor: code that sets it
  by mistake (or an attacker who can run SQL as the application) cannot erase the recent
  entries that record what it just did.

The function lives once in ``public``; each tenant schema's table has a trigger that calls it
(tenant schemas then hold no function of their own, which keeps the provisioning copy simple).
The trigger is not a defence against the owner of the tables running DDL (``DROP TRIGGER``):
docs/audit.md explains the separate migration role that closes that gap in production."""

from __future__ import annotations

# The floor the trigger enforces, whatever the purge asks for; an AUDIT_RETENTION_DAYS below it is
# raised to it (saas_platform/settings/base.py).
AUDIT_MIN_RETENTION_DAYS = 30

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION public.audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  purge_before text := current_setting('audit.purge_before', true);
BEGIN
  IF TG_OP = 'DELETE' AND coalesce(purge_before, '') <> ''
     AND OLD.at < least(purge_before::timestamptz,
                        now() - interval '{AUDIT_MIN_RETENTION_DAYS} days') THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit log entries are append-only: % refused on %', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$fn$
"""

DROP_FUNCTION_SQL = "DROP FUNCTION IF EXISTS public.audit_append_only()"


def trigger_sql(table: str, function: str = "public.audit_append_only()") -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}")


def drop_trigger_sql(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"


def tenant_drop_trigger_sql(table: str) -> str:
    """The reverse of ``tenant_trigger_sql``: Citus refuses even ``DROP TRIGGER IF EXISTS`` on a
    distributed table (and none was created there), so on Citus it does nothing."""
    return (_TENANT_TRIGGER_BLOCK.replace("<create>", drop_trigger_sql(table))
            .replace("  SELECT p.oid::regprocedure::text INTO STRICT fn FROM pg_proc p\n"
                     "   WHERE p.proname = 'audit_append_only'\n"
                     "     AND p.pronamespace = (SELECT oid FROM pg_namespace "
                     "WHERE nspname = 'public');\n", "")
            .replace("' || fn;", "';"))


def tenant_trigger_sql(table: str) -> str:
    """The trigger for a tenant schema's table (unqualified: the schema being migrated). The
    function is looked up in the catalog rather than named ``public.``: the same statement is
    then applied unchanged to every tenant schema by ``migrate_all`` (tenants/fleet/plan.py).
    On a Citus cluster tenant tables are distributed and Citus refuses triggers on them
    (citus.enable_unsafe_triggers), so there the statement does nothing; docs/audit.md says
    what protects the log instead. The check runs in the database, so the same migration is
    right on both kinds of deployment."""
    # The table name is a constant of the migration, never input.
    create = trigger_sql(table, function="")
    return _TENANT_TRIGGER_BLOCK.replace("<create>", create)


_TENANT_TRIGGER_BLOCK = """DO $do$
DECLARE fn text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN RETURN; END IF;
  SELECT p.oid::regprocedure::text INTO STRICT fn FROM pg_proc p
   WHERE p.proname = 'audit_append_only'
     AND p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = 'public');
  EXECUTE '<create>' || fn;
END
$do$"""
