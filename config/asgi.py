"""ASGI entry point: HTTP through Django, websockets through the Channels routes of the apps."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.handler import get_asgi_application  # noqa: E402 (one thread hop per request)

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.limits import RequestSizeLimit  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from races.evaluation import resume_lost_evaluations_soon  # noqa: E402
from races.live import get_pool  # noqa: E402

# Every server process looks after the runs: it renews the leases of those it drives (embedded
# mode) and recovers those whose runner died, now and on a timer; pages only read.
get_pool().start_housekeeping()
if settings.JOBS == "thread":  # the evaluations queued in the last process's threads are gone
    resume_lost_evaluations_soon()

application = ProtocolTypeRouter(
    {
        "http": RequestSizeLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
