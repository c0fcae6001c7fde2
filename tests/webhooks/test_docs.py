"""docs/webhooks.md publishes the whole catalogue, each type with its version."""

from pathlib import Path

from tenant_apps.webhooks.catalogue import CATALOGUE

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def test_every_event_type_and_its_version_is_documented():
    text = DOC.read_text()
    for event_type in CATALOGUE.types:
        assert f"| `{event_type.name}`" in text, event_type.name
        if not event_type.reserved:
            assert f"{event_type.name} v{event_type.version}:" in text, event_type.name
