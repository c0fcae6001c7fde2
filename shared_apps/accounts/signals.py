"""Every account has its address as allauth's primary, verified EmailAddress row from the start.

Accounts are created by invitation (the link proved the address), by an operator or by the
demo seeder, never by allauth's sign-up, which would create the row itself. Without it allauth
would take the address for an unconfirmed "new" one: an e-mail change would drop it at once
instead of keeping it until the new address is verified."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.primary_email")
def give_new_user_a_primary_email(sender, instance, created: bool, raw: bool = False, **kwargs):
    if not created or raw or not instance.email:
        return
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=instance, email=instance.email.lower(),
        defaults={"primary": True, "verified": True})
