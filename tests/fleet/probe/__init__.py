"""A tenant app for the fleet-migration tests only: saas_platform/settings/test.py installs it
when FLEET_PROBE_MIGRATIONS is set. No models module; the tests write its migrations into a
scratch package named by that variable."""
