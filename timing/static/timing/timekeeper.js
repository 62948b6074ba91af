// The timekeeper page mirrors the server's desk: every state comes from the websocket
// (`timekeeper.state`), every button is a POST to /api/races/{id}/timekeeper/. The page keeps
// nothing of its own but the countdown between two states, so a reload or a second tablet shows
// exactly where the race is.
(function () {
  const root = document.getElementById("timekeeper");
  if (!root) return;
  const raceId = root.dataset.race;
  const canControl = root.dataset.control === "1";
  const $ = (id) => document.getElementById(id);
  let desk = null, receivedAt = 0, serverOffset = 0, retry = 500;
  // Whether the timekeeper chose a racer by hand for the next turn: until then the chooser
  // offers the desk's next racer (the first in the queue without a turn), not the one who just raced.
  let picked = false;
  $("racer").addEventListener("change", () => { picked = true; });

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function fmt(ms) {
    const s = Math.max(0, ms) / 1000;
    return `${Math.floor(s / 60)}:${(s % 60).toFixed(3).padStart(6, "0")}`;
  }
  function clock(ms) {
    const s = Math.ceil(Math.max(0, ms) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  function showError(text) {
    $("error").textContent = text || "";
    $("error").hidden = !text;
  }

  async function act(action, extra) {
    if (!canControl) return;
    showError("");
    const body = Object.assign({ action }, extra || {});
    if (action === "start") {
      body.racer_id = parseInt($("racer").value, 10);
      body.car = $("car").value;
    }
    try {
      const res = await fetch(`/api/races/${raceId}/timekeeper/`, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        const msg = (data.action && data.action[0]) || data.detail || JSON.stringify(data);
        showError(msg);
        return;
      }
      render(data); // the answer is the new state; the websocket brings the same to the others
    } catch (e) {
      showError("The server cannot be reached: the action was not applied. Try again.");
    }
  }

  function render(state) {
    if (desk && state.version < desk.version) return; // an older state arriving late
    if (!state.queue) { // crossings leave the queue as it was
      state.queue = desk ? desk.queue : [];
      state.next_racer_id = desk ? desk.next_racer_id : null;
    }
    desk = state;
    receivedAt = performance.now();
    serverOffset = state.now_ms - Date.now();
    const turn = state.turn;
    $("pick").hidden = !!turn || !canControl;
    $("turn").hidden = !turn;
    const select = $("racer");
    const chosen = select.value;
    select.innerHTML = "";
    state.queue.forEach((row) => {
      const opt = document.createElement("option");
      opt.value = row.user_id;
      opt.textContent = `${row.alias}${row.turns ? ` (${row.turns} turn${row.turns > 1 ? "s" : ""})` : ""}`;
      select.appendChild(opt);
    });
    if (turn) picked = false; // the next turn's racer is chosen afresh
    const keep = picked && state.queue.some((row) => String(row.user_id) === chosen);
    if (keep) select.value = chosen;
    else if (state.next_racer_id != null) select.value = String(state.next_racer_id);
    $("queue").innerHTML = state.queue.map((r) => `<li>${escape(r.alias)}</li>`).join("");
    if (turn) {
      $("racer-name").textContent = turn.racer || `racer ${turn.racer_id}`;
      $("car-name").textContent = turn.car;
      $("state").textContent = turn.dnf ? "DNF" : turn.state;
      $("progress").textContent = (turn.lap_in_progress ? "Lap in progress" : "Waiting for the car at the line")
        + ` · resets this lap: ${turn.resets}`;
      const rows = turn.laps.slice().reverse().map((lap) => `<tr class="${lap.valid ? "" : "invalid"}" data-lap="${lap.number}">
        <td>${lap.number}</td><td>${fmt(lap.time_ms)}</td><td>${lap.sector_times_ms.map(fmt).join(" / ")}</td>
        <td>${lap.reset_count}</td><td><button data-toggle="${lap.number}" title="${escape(lap.invalid_reason)}">${lap.valid ? "valid" : "invalid"}</button></td></tr>`);
      $("laps").querySelector("tbody").innerHTML = rows.join("");
      $("notes").innerHTML = turn.notes.map((n) => `<li>${escape(n)}</li>`).join("");
      root.querySelectorAll("[data-action]").forEach((b) => { b.disabled = !canControl; });
      root.querySelector('[data-action="pause"]').hidden = turn.state !== "running";
      root.querySelector('[data-action="resume"]').hidden = !["paused", "waiting"].includes(turn.state);
    }
    renderTimers();
    tick();
  }

  function renderTimers() {
    if (!desk) return;
    const now = Date.now() + serverOffset;
    $("timers").innerHTML = desk.timers.map((t) => {
      // Silent: the reader stopped heartbeating (the server says so once it is, `silent`; the
      // page also counts on between two states). The seconds count on here.
      const silent = (t.connected || t.silent) && t.at_ms && now - t.at_ms > desk.stale_s * 1000;
      const up = t.connected && !silent;
      const text = silent ? `no word for ${Math.round((now - t.at_ms) / 1000)} s` : t.message;
      return `<span class="timer ${up ? "up" : "down"}">${escape(t.name)}: ${escape(text || "")}</span>`;
    }).join("") || '<span class="muted">No lap timer: capture laps by hand.</span>';
  }

  function tick() {
    if (!desk || !desk.turn) return;
    let left = desk.turn.remaining_ms;
    if (desk.turn.clock_running) left -= performance.now() - receivedAt;
    $("remaining").textContent = left > 0 ? clock(left) : (desk.turn.lap_in_progress ? "last lap" : "time up");
  }
  setInterval(() => { tick(); renderTimers(); }, 250);

  function escape(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/races/${raceId}/timekeeper/`);
    ws.onopen = () => { retry = 500; $("link").textContent = "Live: every timekeeper screen shows this state."; };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "timekeeper.state") render(msg.desk);
    };
    ws.onclose = (e) => {
      $("link").textContent = e.code === 4404 ? "You cannot see this race." : "Reconnecting…";
      if (e.code !== 4404) { setTimeout(connect, retry); retry = Math.min(retry * 2, 5000); }
    };
  }

  root.addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button) return;
    if (button.dataset.toggle) act("toggle_valid", { lap: parseInt(button.dataset.toggle, 10) });
    else if (button.dataset.action) confirmAndAct(button.dataset.action);
  });
  function confirmAndAct(action) {
    if (action === "discard" && !window.confirm("Discard this turn? Its laps will not be recorded.")) return;
    act(action);
  }
  const KEYS = { s: "start", l: "capture_lap", " ": "capture_lap", r: "reset", R: "unreset", u: "undo_false_finish",
                 v: "toggle_valid", d: "dnf", e: "end", x: "discard" };
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    let action = KEYS[e.key];
    if (e.key === "p" || e.key === "P") action = desk && desk.turn && ["paused", "waiting"].includes(desk.turn.state) ? "resume" : "pause";
    if (!action) return;
    e.preventDefault();
    if (action === "start" && desk && desk.turn) return;
    confirmAndAct(action);
  });
  connect();
})();
