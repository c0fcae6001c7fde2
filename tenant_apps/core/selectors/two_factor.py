"""Whether a member has two-factor authentication on (the members list's "2FA" column)."""

from __future__ import annotations


def member_two_factor_enabled(user) -> bool:
    # Placeholder until allauth.mfa is installed: the lead wires this to allauth.mfa at merge
    # (an Authenticator row of type TOTP for ``user``). The only placeholder of the team pages.
    return False
