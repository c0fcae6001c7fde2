from django import template

from shared_apps.console.nav import console_nav

register = template.Library()


@register.inclusion_tag("console/_nav.html", takes_context=True)
def console_navigation(context) -> dict:
    request = context["request"]
    return {"sections": console_nav(request.path), "user": request.user,
            "csrf_token": context.get("csrf_token")}
