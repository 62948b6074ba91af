// An in-person race's page, kept current from the race websocket: COMING UP (`race.state`,
// `queue.changed`, and the queue the timekeeper's desk carries) and who is on the track
// (`timekeeper.state`, read-only). The page's one socket: the leaderboard panel gets its
// events from here (leaderboard/static/leaderboard/board.js). The organizer's queue editor
// (queue_editor.js) works on the same rows: they are not redrawn while it edits.
(function () {
  const root = document.getElementById("track-view");
  if (!root) return;
  const body = document.getElementById("queue-body");
  const onTrack = document.getElementById("on-track");
  const organizer = !!document.getElementById("edit-queue") || !!root.querySelector(".remove-row");
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (ms) => { const s = ms / 1000; return `${Math.floor(s / 60)}:${(s % 60).toFixed(3).padStart(6, "0")}`; };
  let desk = 0, backoff = 500;

  function drawQueue(rows) {
    if (window.queueEditor && window.queueEditor.editing()) return;
    body.innerHTML = rows.length ? rows.map((r, i) => `<tr class="queue-row" data-user-id="${esc(r.user_id)}" draggable="false">` +
      `<td class="drag-handle" hidden>☰</td><td>${i + 1}</td><td>${esc(r.alias)}</td><td>${esc((r.slot_at || "").slice(11, 16))} UTC</td>` +
      `<td>${esc(r.turns || 0)}</td><td>${esc(r.last_run || "—")}</td>` +
      `<td>${organizer ? '<button type="button" class="remove-row secondary" hidden title="Take out of the queue (not out of the race)">✕</button>' : ""}</td></tr>`).join("")
      : '<tr class="empty"><td colspan="7" class="muted">Nobody has joined yet.</td></tr>';
  }
  function drawTurn(turn) {
    if (!turn) { onTrack.innerHTML = '<span class="muted">Nobody on the track.</span>'; return; }
    const laps = turn.laps || [];
    const valid = laps.filter((l) => l.valid);
    const best = valid.length ? Math.min(...valid.map((l) => l.time_ms)) : null;
    onTrack.innerHTML = `<strong>${esc(turn.racer)}</strong> · ${esc(turn.dnf ? "DNF" : turn.state)} · ${laps.length} lap${laps.length === 1 ? "" : "s"}` +
      (laps.length ? ` · last ${fmt(laps[laps.length - 1].time_ms)}` : "") + (best != null ? ` · best ${fmt(best)}` : "");
  }
  function toBoard(name, detail) {  // one socket per page: the leaderboard panel's events too
    const board = document.getElementById("leaderboard");
    if (board) board.dispatchEvent(new CustomEvent(name, { detail }));
  }
  function handle(msg) {
    if (msg.type === "race.state") toBoard("leaderboard:state", msg);
    else if (msg.type === "leaderboard.changed") toBoard("leaderboard:changed", msg);
    if (msg.type === "race.state" || msg.type === "queue.changed") drawQueue(msg.queue || []);
    else if (msg.type === "timekeeper.state" && msg.desk && msg.desk.version >= desk) {
      desk = msg.desk.version;
      drawTurn(msg.desk.turn);
      if (msg.desk.queue) drawQueue(msg.desk.queue);
    }
  }
  window.trackView = { handle };
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}/ws/races/${root.dataset.raceId}/`);
    sock.onopen = () => { backoff = 500; root.dataset.connected = "1"; };
    sock.onmessage = (e) => { try { handle(JSON.parse(e.data)); } catch (_) { /* not ours */ } };
    sock.onclose = (e) => {
      root.dataset.connected = "";
      if (e.code === 4404) return;  // access ended
      setTimeout(connect, backoff); backoff = Math.min(5000, backoff * 2);
    };
  }
  connect();
})();
