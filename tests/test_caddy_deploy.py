"""The optional Caddy front (deploy/Caddyfile, compose profile ``caddy``) names only things that
exist: its ask URL is the public host's TLS check, reachable from Caddy by BASE_DOMAIN's name."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent


def test_the_caddyfile_asks_the_platform_before_any_certificate():
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    ask = re.search(r"^\s*ask (\S+)", text, re.MULTILINE).group(1)
    assert ask == "http://{$BASE_DOMAIN}:8000/internal/tls-ask"
    assert resolve("/internal/tls-ask", urlconf="saas_platform.urls_public").url_name == \
        "tls-ask"
    assert "on_demand" in text and "reverse_proxy web:8000" in text


def test_compose_runs_caddy_only_in_its_profile_with_the_caddyfile():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    caddy = services["caddy"]
    assert caddy["profiles"] == ["caddy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert caddy["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["web"]["networks"]["default"]["aliases"] == ["${BASE_DOMAIN:-localhost}"]
