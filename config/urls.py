from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("races.api_urls")),
    path("", include("races.urls")),
]

# Uploaded racing images. Behind a proxy in production, serve MEDIA_ROOT from the proxy instead.
urlpatterns += [
    re_path(r"^media/(?P<path>race-images/[\w.-]+)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
