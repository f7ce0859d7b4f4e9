from django.conf import settings


def site(request):
    """Expose the agency's name and the demo flag to every template."""
    return {"agency_name": settings.MCQA_AGENCY_NAME, "demo_mode": settings.MCQA_DEMO_MODE}
