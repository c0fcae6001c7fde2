"""A provisioning failure raised in another process (Celery, a multiprocessing pool) arrives
whole: it crosses the pickle boundary with its step, cause and outcome."""

import pickle

from tenants.provisioning import ProvisioningFailed


def test_provisioning_failed_survives_pickling() -> None:
    error = ProvisioningFailed("create_schema", ValueError("no space left"), rolled_back=True)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes, as Celery does)
    assert isinstance(copy, ProvisioningFailed)
    assert (copy.step, copy.rolled_back) == ("create_schema", True)
    assert str(copy.cause) == "no space left"
    assert str(copy) == str(error)
