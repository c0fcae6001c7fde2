"""The Citus tests run only on a Citus coordinator with TENANT_DISTRIBUTION=citus, as
``make test-citus`` sets up; anywhere else they skip, saying so."""

import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    if settings.TENANT_DISTRIBUTION == "citus":
        return
    skip = pytest.mark.skip(reason="needs a Citus cluster with TENANT_DISTRIBUTION=citus: "
                                   "run `make test-citus`")
    for item in items:
        if "citus" in item.keywords:
            item.add_marker(skip)
