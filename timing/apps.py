from django.apps import AppConfig


class TimingConfig(AppConfig):
    name = "timing"
