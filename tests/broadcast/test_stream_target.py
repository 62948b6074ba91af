"""Where OBS streams to, as the Broadcast page tells the producer: the server or the service's
name, never the stream key nor credentials in the URL; nothing when OBS has nowhere set (then
obs_control says so instead of asking OBS to stream)."""

from __future__ import annotations

from broadcast.obs import stream_target


def service(kind, **settings):
    return {"streamServiceType": kind, "streamServiceSettings": settings}


def test_a_custom_server_is_shown_without_its_key_credentials_or_query():
    assert stream_target(service("rtmp_custom", server="rtmp://127.0.0.1:1935/live", key="s3cret")) == \
        "rtmp://127.0.0.1:1935/live"
    assert stream_target(service("rtmp_custom", server="rtmps://user:pw@ingest.example:443/app?token=s3cret",
                                 key="k")) == "rtmps://ingest.example:443/app"


def test_a_listed_service_is_shown_by_name_once_it_has_a_key():
    assert stream_target(service("rtmp_common", service="Twitch", server="auto", key="live_123")) == "Twitch"
    assert stream_target(service("rtmp_common", service="Twitch", server="auto")) is None


def test_nowhere_set_is_none():
    assert stream_target(service("rtmp_common")) is None  # a fresh OBS
    assert stream_target(service("rtmp_custom", server="")) is None
    assert stream_target({}) is None
