// The organizer's panel: the reminders to warn the next racers 2 minutes and 30 seconds before
// the current run ends (shown above the track map of the live view). The queue editor is
// races/queue_editor.js.
(function () {
  const panel = document.getElementById("control-panel");
  if (!panel) return;
  // Reminders to warn the next racers, over the track map where the organizer watches the run.
  // They follow the time-left clock of the live view (live.js announces each reading as
  // `live:clock`), so a reminder appears when that clock reads its time.
  const live = document.getElementById("live");
  const reminder = document.getElementById("reminder");
  if (!live || !reminder) return;

  function spoken(s) {
    return s % 60 === 0 ? `${s / 60} minute${s === 60 ? "" : "s"}` : `${s} seconds`;
  }
  // The text for `seconds` left: the reminder of the nearest time reached, "" for none.
  function reminderText(seconds) {
    const state = window.liveView && window.liveView.state;
    const run = state && state.run;
    if (seconds == null || !run) return "";
    // the times of races/live_control.py REMINDERS_S, which every race.state snapshot carries
    const times = ((state.race && state.race.reminders_s) || []).slice().sort((a, b) => a - b);
    const due = times.find((s) => seconds <= s);
    const next = (state.queue || []).filter((row) => row.user_id !== run.racer_id && !row.last_run)
      .slice(0, 2).map((row) => row.alias);
    if (due == null || !next.length) return "";
    if (due === times[0]) return `${spoken(due)} left: ${next[0]} is next — tell them to get ready.`;
    return `${spoken(due)} left: contact the next racers (${next.join(", ")}).`;
  }
  live.addEventListener("live:clock", (event) => {
    const text = reminderText(event.detail.seconds);
    if (reminder.textContent === text) return;
    reminder.textContent = text;
    reminder.hidden = !text;
    reminder.classList.remove("fresh");
    void reminder.offsetWidth;  // restart the attention flash for each new reminder
    reminder.classList.add("fresh");
  });
})();
