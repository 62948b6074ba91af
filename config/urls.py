from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says (OBS's browser sources too): the
    static file, not a 404 in every log."""
    return HttpResponsePermanentRedirect(static("races/favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("timing.api_urls")),
    path("api/", include("leaderboard.api_urls")),
    path("api/", include("races.api_urls")),
    path("", include("timing.urls")),
    path("", include("broadcast.urls")),
    path("", include("leaderboard.urls")),
    path("", include("races.urls")),
]
# Uploaded racing images are served by races.views.race_image, behind the race's access check;
# nothing under MEDIA_ROOT is served as is.
