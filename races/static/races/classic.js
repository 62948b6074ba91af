// A Classic race page: the racer's submissions, live from the race websocket (submission.state,
// submission.queue); after every (re)connect the list is read again, since events missed while
// away are not replayed. Status: queued (place in queue) -> evaluating (trial n of N, % of the
// lap) -> done / failed with the reason.
(function () {
  const root = document.getElementById("classic-entry");
  if (!root) return;
  const raceId = root.dataset.raceId, me = Number(root.dataset.userId);
  const tbody = document.getElementById("submission-rows");
  const subs = new Map();
  JSON.parse(document.getElementById("my-submissions").textContent || "[]").forEach((s) => subs.set(s.id, s));

  function statusCell(td, s) {
    td.textContent = "";
    const label = document.createElement("span");
    label.className = "sub-state " + s.state;
    if (s.state === "queued") label.textContent = `Queued (place ${s.place || "?"} in the queue)`;
    else if (s.state === "evaluating") {
      label.textContent = `Evaluating: trial ${s.trial || 1} of ${s.trials || "?"}, ${Math.floor(s.progress || 0)} % of the lap`;
      const bar = document.createElement("progress");
      bar.max = 100;
      // the whole evaluation: finished trials plus the share of this one
      bar.value = (((s.trial || 1) - 1) * 100 + (s.progress || 0)) / (s.trials || 1);
      bar.className = "sub-progress";
      td.appendChild(bar);
    } else if (s.state === "done") label.textContent = "Done";
    else label.textContent = `Failed: ${s.failure || "the evaluation stopped"}`;
    td.prepend(label);
  }
  // The "… is entered: its evaluation is queued" message shown after entering follows its
  // submission (base.html gives it the class submission-<id>): it must not say "queued" once
  // the submission is done or failed.
  function flashText(s) {
    if (s.state === "queued") return `its evaluation is queued (place ${s.place || "?"} in the queue).`;
    if (s.state === "evaluating") return `its evaluation is running: trial ${s.trial || 1} of ${s.trials || "?"}.`;
    if (s.state === "done") return "its evaluation is done: see its results below.";
    return `its evaluation failed: ${s.failure || "the evaluation stopped"}.`;
  }
  function syncFlash(s) {
    const li = document.querySelector(`ul.messages li.submission-${s.id}`);
    if (!li) return;
    if (!li.dataset.entered) li.dataset.entered = li.textContent.split(": its evaluation")[0];
    li.textContent = `${li.dataset.entered}: ${flashText(s)}`;
    li.dataset.state = s.state;
    li.classList.toggle("success", s.state !== "failed");
    li.classList.toggle("error", s.state === "failed");
  }
  function render() {
    const list = [...subs.values()].sort((a, b) => b.id - a.id);
    list.forEach(syncFlash);
    tbody.textContent = "";
    if (!list.length) {
      const tr = tbody.insertRow(); tr.className = "empty";
      const td = tr.insertCell(); td.colSpan = 4; td.className = "muted"; td.textContent = "No submissions yet.";
      return;
    }
    for (const s of list) {
      const tr = tbody.insertRow(); tr.id = `submission-${s.id}`; tr.dataset.state = s.state;
      tr.insertCell().textContent = (s.created_at || "").slice(0, 16).replace("T", " ");
      tr.insertCell().textContent = s.model;
      const st = tr.insertCell(); st.className = "status"; statusCell(st, s);
      const link = document.createElement("a"); link.href = root.dataset.resultsUrl.replace(/0\/$/, `${s.id}/`); link.textContent = "Results";
      tr.insertCell().appendChild(link);
    }
  }
  async function reload() {
    try {
      const res = await fetch(`/races/${raceId}/submissions/mine/`, { credentials: "same-origin" });
      if (!res.ok) return;
      const body = await res.json();
      subs.clear();
      body.submissions.forEach((s) => subs.set(s.id, s));
      render();
    } catch (_) { /* the next reconnect reads it again */ }
  }
  function toBoard(name, detail) {  // one socket per page: the board panel's events too
    const board = document.getElementById("leaderboard");
    if (board) board.dispatchEvent(new CustomEvent(name, { detail }));
  }
  function handle(msg) {
    if (msg.type === "race.state") {  // a (re)connect: the board as it is now, and the list again
      toBoard("leaderboard:state", msg);
      return reload();
    }
    if (msg.type === "leaderboard.changed") return toBoard("leaderboard:changed", msg);
    if (msg.type === "submission.state" && msg.submission && msg.submission.racer_id === me) {
      const old = subs.get(msg.submission.id);
      const ended = (s) => s && (s.state === "done" || s.state === "failed");
      // a late progress event must not undo an end already shown
      if (ended(old) && msg.submission.state === "evaluating") return;
      subs.set(msg.submission.id, msg.submission);
      // its result is on the board by now (the laps are committed before the end): read it
      // again, in case this page missed the board's own event
      if (msg.submission.state === "done" && !ended(old)) toBoard("leaderboard:refresh");
      return render();
    }
    if (msg.type === "submission.queue") {
      let changed = false;
      for (const [id, place] of Object.entries(msg.places || {})) {
        const s = subs.get(Number(id));
        if (s && s.state === "queued") { s.place = place; changed = true; }
      }
      if (changed) render();
    }
  }
  let backoff = 500;
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}/ws/races/${encodeURIComponent(raceId)}/`);
    sock.onopen = () => { backoff = 500; root.dataset.connected = "1"; };
    sock.onmessage = (e) => { try { handle(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    sock.onclose = (e) => {
      root.dataset.connected = "";
      if (e.code === 4404) return;
      setTimeout(connect, backoff); backoff = Math.min(5000, backoff * 2);
    };
  }
  render();
  connect();
})();
