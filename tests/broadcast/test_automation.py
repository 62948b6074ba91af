"""The race moments → OBS actions rules (broadcast.automation), alone: countdown → race scene, the
racer's name and a recording named by race, racer and run; end → leaderboard scene and the
recording stops; winner → winner scene; idle → intro; paused → nothing."""

from __future__ import annotations

from broadcast.automation import RACER_TEXT, Action, Director, recording_name
from races import protocol

SCENES = {"idle": "Intro", "countdown": "Race", "ended": "Leaderboard", "winner": "Winner"}


def run(run_id, state, racer="BobTheRacer"):
    return protocol.run_state({"id": run_id, "state": state, "racer_id": 2, "racer": racer})


def snapshot(run=None, winner=None):
    return {"type": "race.state", "race": {"winner": {"alias": winner} if winner else None}, "run": run}


def test_an_idle_race_starts_on_the_intro_and_a_racing_one_on_the_race_scene():
    assert Director("Cup", SCENES).start(snapshot()) == [Action("scene", "Intro")]
    racing = Director("Cup", SCENES).start(snapshot({"id": 4, "state": "running", "racer": "Bob"}))
    assert racing == [Action("scene", "Race"), Action("text", "Bob", RACER_TEXT)]
    assert Director("Cup", SCENES).start(snapshot(winner="Bob")) == [Action("scene", "Winner")]


def test_a_turn_switches_to_the_race_and_back_to_the_leaderboard_recording_it():
    director = Director("Live Cup", SCENES)
    director.start(snapshot())
    actions = director.on_event(run(7, "countdown"), now=0)
    assert actions == [Action("scene", "Race"), Action("text", "BobTheRacer", RACER_TEXT),
                       Action("record_start", "Live-Cup_BobTheRacer_run7")]
    assert director.on_event(run(7, "countdown"), now=1) == []  # each count of the countdown
    assert director.on_event(run(7, "running"), now=10) == []
    assert director.on_event(run(7, "finished"), now=70) == [Action("scene", "Leaderboard"), Action("record_stop")]


def test_a_declared_winner_gets_the_winner_scene_once():
    director = Director("Cup", SCENES)
    director.start(snapshot())
    assert director.on_event(snapshot(winner="Bob"), now=0) == [Action("scene", "Winner")]
    assert director.on_event(snapshot(winner="Bob"), now=1) == []


def test_the_intro_comes_back_once_the_race_is_idle_long_enough():
    director = Director("Cup", SCENES, idle_after_s=30)
    director.start(snapshot())
    director.on_event(run(1, "countdown"), now=0)
    director.on_event(run(1, "failed"), now=60)
    assert director.tick(now=80) == []
    assert director.tick(now=91) == [Action("scene", "Intro")]
    assert director.tick(now=200) == []


def test_manual_control_stops_every_action():
    director = Director("Cup", SCENES, paused=True)
    assert director.start(snapshot()) == []
    assert director.on_event(run(1, "countdown"), now=0) == []
    assert director.on_event(run(1, "finished"), now=5) == []
    director.paused = False
    assert director.on_event(run(2, "countdown"), now=6)[0] == Action("scene", "Race")


def test_recording_names_keep_to_safe_characters():
    assert recording_name("Grand Prix / 2026", "Bob the ✓", 12) == "Grand-Prix-2026_Bob-the_run12"
