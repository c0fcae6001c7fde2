"""The row and navigation links built without a full reverse() each time are the same URLs."""

import pytest
from django.urls import reverse

from tenant_apps.core.links import named_url, object_url


@pytest.mark.parametrize("name", ["inventory:product", "inventory:alert-ack",
                                  "attendance:record"])
@pytest.mark.parametrize("pk", [1, 42, 987654321])
def test_object_url_is_reverse(name: str, pk: int) -> None:
    assert object_url(name, pk) == reverse(name, args=[pk])


def test_object_url_takes_only_integers() -> None:
    with pytest.raises((TypeError, ValueError)):
        object_url("inventory:product", "1/../../admin")


@pytest.mark.parametrize("name", ["inventory:home", "attendance:records", "web-team"])
def test_named_url_is_reverse(name: str) -> None:
    assert named_url(name) == reverse(name)


def test_script_prefix_is_kept() -> None:
    from django.urls import set_script_prefix

    set_script_prefix("/app/")
    try:
        assert object_url("inventory:product", 7) == reverse("inventory:product", args=[7])
        assert object_url("inventory:product", 7).startswith("/app/")
        assert named_url("inventory:home") == reverse("inventory:home")
    finally:
        set_script_prefix("/")
