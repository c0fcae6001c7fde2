"""Password reset tokens that name their schema.

Django's token is an HMAC of the user's id, password hash, last sign-in and a timestamp. User ids
repeat across tenant schemas, so the schema's name is signed too: a reset link made on tenant A
can never be valid on B's host, whatever the two accounts have in common."""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection


class TenantPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    def _make_hash_value(self, user, timestamp) -> str:
        # As allauth's EmailAwarePasswordResetTokenGenerator: a link stops working when the
        # account's addresses change. (Subclassing it would import allauth.account.forms, which
        # imports this module to build its default generator: a cycle.)
        from allauth.account.models import EmailAddress

        emails = {user.email} if user.email else set()
        emails.update(EmailAddress.objects.filter(user_id=user.pk)
                      .values_list("email", flat=True))
        schema = getattr(connection, "schema_name", "public")
        return f"{super()._make_hash_value(user, timestamp)}|{schema}|{'|'.join(sorted(emails))}"
