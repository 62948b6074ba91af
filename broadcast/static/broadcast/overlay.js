// Broadcast overlays: every element with data-part on the page is drawn from the race's websocket
// (race.state on connect, then run.state / run.frame / run.lap / leaderboard.changed / queue.changed,
// and for an in-person race the timekeeper's desk, timekeeper.state: the turn on the track with
// its laps as the timer reports them), the moment an event arrives. One script for a single overlay (an OBS browser source), broadcast
// mode (several parts around camera cut-outs) and the commentator's view.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("overlay-config").textContent);
  const HIGHLIGHT_MS = 10000;   // how long the newest result stays highlighted
  const COMING_UP = 5;
  const SECTOR = { session_best: "purple", personal_best: "green", slower: "yellow", slowest: "yellow" };
  const state = {
    race: null, run: null, queue: [], leaderboard: [], frame: null, connected: false,
    highlight: null, highlightUntil: 0, laps: {}, sessionBest: [], personalBest: {},
    turn: null, turnAt: 0, deskVersion: -1, turnFlags: {},
    // How many sectors a lap has: a simulator's lap 3; in person the timing's (the sector gates
    // plus one, as its laps carry them; the server sends the race's last timed count).
    sectors: cfg.sectors || 3,
  };
  for (const [runId, laps] of Object.entries(cfg.laps || {})) {
    state.laps[runId] = laps.map((l) => ({ ...l, flags: lapFlags("?", lapSectors(l)) }));
  }
  const view = window.overlay = { state, updates: 0, lastType: null };
  const parts = Array.from(document.querySelectorAll("[data-part]"));
  const sameId = (a, b) => a != null && b != null && String(a) === String(b);
  const pad2 = (n) => String(n).padStart(2, "0");
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function fmtLap(s) {
    if (s == null || !isFinite(s)) return "--:--.---";
    const ms = Math.round(s * 1000), m = Math.floor(ms / 60000), rest = ms - m * 60000;
    return `${pad2(m)}:${pad2(Math.floor(rest / 1000))}.${String(rest % 1000).padStart(3, "0")}`;
  }
  function fmtClock(s) {
    if (s == null || !isFinite(s)) return "--:--";
    s = Math.max(0, Math.ceil(s));
    return `${pad2(Math.floor(s / 60))}:${pad2(s % 60)}`;
  }
  function fmtTime(iso) {
    if (!iso) return "";
    try { return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: cfg.info.time_zone }); } catch (_) { return ""; }
  }
  function flag(userId) {
    const r = cfg.racers[String(userId)];
    const code = r && r.country;
    if (!code || code.length !== 2) return "";
    return String.fromCodePoint(...code.toUpperCase().split("").map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
  }
  const runOnTrack = () => state.run && (state.run.state === "countdown" || state.run.state === "running");
  const onTrack = () => runOnTrack() || !!state.turn;
  // who is on the track: the simulator's run, or the in-person turn (racer_id, racer)
  const onTrackRacer = () => (runOnTrack() ? state.run : state.turn);
  function turnLeft() {
    const t = state.turn;
    return (t.remaining_ms - (t.clock_running ? performance.now() - state.turnAt : 0)) / 1000;
  }
  function turnLapMs() {
    const t = state.turn;
    if (t.lap_ms == null) return null;
    return t.lap_ms + (t.clock_running ? performance.now() - state.turnAt : 0);
  }
  // The turn's laps with their sector flags, each lap flagged once (as it is first seen).
  function turnLaps() {
    const t = state.turn;
    return (t.laps || []).map((l) => {
      const key = `${t.racer_id}:${l.number}:${l.time_ms}`;
      if (!state.turnFlags[key]) state.turnFlags[key] = lapFlags(t.racer_id, lapSectors(l));
      return { ...l, flags: state.turnFlags[key] };
    });
  }
  function timeLeft() {
    if (!runOnTrack() && state.turn) return turnLeft();
    if (state.frame && state.frame.time_remaining != null) return state.frame.time_remaining;
    if (state.run && state.run.ends_at) return (new Date(state.run.ends_at) - Date.now()) / 1000;
    return null;
  }

  // ------------------------------------------------------------------ sectors of laps without frames
  // (a timer's laps in person): purple = session best, green = personal best, yellow = slower.
  // A lap's sector times; in person they also set how many sectors the track is drawn in (a
  // timer without sector gates times the whole lap: one sector).
  function lapSectors(lap) {
    const times = lap.sector_times_ms && lap.sector_times_ms.length ? lap.sector_times_ms : null;
    if (!cfg.in_person) return times || [];
    const sectors = times || [lap.time_ms];
    if (sectors.length !== state.sectors) {  // the timing changed: bests of other sectors do not compare
      state.sectors = sectors.length; state.sessionBest = []; state.personalBest = {};
    }
    return sectors;
  }
  function lapFlags(racerId, sectorsMs) {
    const mine = state.personalBest[racerId] || (state.personalBest[racerId] = []);
    return (sectorsMs || []).map((t, k) => {
      if (t == null) return null;
      let f = "slower";
      if (state.sessionBest[k] == null || t <= state.sessionBest[k]) { state.sessionBest[k] = t; f = "session_best"; }
      else if (mine[k] == null || t <= mine[k]) f = "personal_best";
      if (mine[k] == null || t < mine[k]) mine[k] = t;
      return f;
    });
  }

  // ------------------------------------------------------------------ renderers
  function leaderboardRow(row, top) {
    const hl = sameId(row.user_id, state.highlight) && Date.now() < state.highlightUntil;
    return `<li class="lb-row${hl ? " newest" : ""}${row.rank === 1 ? " leader" : ""}" data-user-id="${esc(row.user_id)}">` +
      `<span class="rank">${esc(row.rank)}</span><span class="flag">${flag(row.user_id)}</span>` +
      `<span class="alias">${esc(row.racer)}</span><span class="time">${esc(row.time)}</span>` +
      `<span class="gap">${esc(row.gap)}</span></li>`;
  }
  function renderLeaderboard(el) {
    const top = Number(el.dataset.top || cfg.top || 10);
    const rows = state.leaderboard || [];
    let html = rows.slice(0, top).map((r) => leaderboardRow(r, top)).join("");
    const hlIndex = Date.now() < state.highlightUntil ? rows.findIndex((r) => sameId(r.user_id, state.highlight)) : -1;
    if (hlIndex >= top) {  // the newest result is outside the top N: a window around it
      html += `<li class="lb-gap">…</li>` + rows.slice(Math.max(top, hlIndex - 1), hlIndex + 2).map((r) => leaderboardRow(r, top)).join("");
    }
    if (!rows.length) html = `<li class="lb-empty">No laps yet</li>`;
    el.querySelector(".lb-rows").innerHTML = html;
  }
  function sectorBar(flags) {
    return flags.map((f, k) => `<span class="sector ${SECTOR[f] || "none"}" data-sector="${k}"></span>`).join("");
  }
  // One flag per sector of the track (the lower third's bars and the map's colours, always as many)
  function currentFlags() {
    let flags = null;
    if (!runOnTrack() && state.turn) {  // in person: the sectors of the turn's last lap
      const laps = turnLaps();
      flags = laps.length ? laps[laps.length - 1].flags : null;
    } else if (state.frame && Array.isArray(state.frame.sectors)) {
      flags = state.frame.sectors.map((s) => s && s.flag);
    } else {
      const laps = state.run && state.laps[state.run.id];
      flags = laps && laps.length ? laps[laps.length - 1].flags : null;
    }
    const n = flags && !cfg.in_person ? flags.length : state.sectors;
    return Array.from({ length: n }, (_, k) => (flags && flags[k]) || null);
  }
  function renderTurnLowerThird(el) {
    const t = state.turn, laps = turnLaps(), valid = laps.filter((l) => l.valid !== false);
    const lapMs = turnLapMs();
    el.querySelector(".lt-flag").textContent = flag(t.racer_id);
    el.querySelector(".lt-alias").textContent = t.racer || "";
    el.querySelector(".lt-best").textContent = fmtLap(valid.length ? Math.min(...valid.map((l) => l.time_ms)) / 1000 : null);
    el.querySelector(".lt-last").textContent = fmtLap(laps.length ? laps[laps.length - 1].time_ms / 1000 : null);
    el.querySelector(".lt-current").textContent = t.dnf ? "DNF" : (lapMs != null ? fmtLap(lapMs / 1000) : "Get ready");
    el.querySelector(".lt-left").textContent = fmtClock(turnLeft());
    el.querySelector(".lt-resets").textContent = String(t.resets || 0);
    const speed = el.querySelector(".lt-speed");
    speed.textContent = ""; speed.parentElement.hidden = true;  // a physical car has no multiplier
    el.querySelector(".lt-sectors").innerHTML = sectorBar(currentFlags());
  }
  function renderLowerThird(el) {
    const run = state.run, f = state.frame || {};
    el.classList.toggle("idle", !onTrack());
    if (!runOnTrack() && state.turn) { renderTurnLowerThird(el); return; }
    if (!run) { el.querySelector(".lt-alias").textContent = ""; return; }
    const laps = state.laps[run.id] || [];
    const best = f.best_lap != null ? f.best_lap : (laps.length ? Math.min(...laps.map((l) => l.time_ms)) / 1000 : null);
    const last = f.last_lap != null ? f.last_lap : (laps.length ? laps[laps.length - 1].time_ms / 1000 : null);
    el.querySelector(".lt-flag").textContent = flag(run.racer_id);
    el.querySelector(".lt-alias").textContent = run.racer || "";
    el.querySelector(".lt-best").textContent = fmtLap(best);
    el.querySelector(".lt-last").textContent = fmtLap(last);
    el.querySelector(".lt-current").textContent = run.state === "countdown" ? (run.count != null ? String(run.count) : "Get ready") : fmtLap(f.lap_time);
    el.querySelector(".lt-left").textContent = fmtClock(timeLeft());
    el.querySelector(".lt-resets").textContent = f.reset_count != null ? String(f.reset_count) : (laps.length ? String(laps.reduce((a, l) => a + (l.reset_count || 0), 0)) : "0");
    const speed = el.querySelector(".lt-speed");
    speed.textContent = f.multiplier != null ? `×${Number(f.multiplier).toFixed(2)}` : "";
    speed.parentElement.hidden = f.multiplier == null;
    el.querySelector(".lt-sectors").innerHTML = sectorBar(currentFlags());
  }
  // COMING UP: the race's queue (races/lineup.py) without the racer on the track. A LIVE racer
  // races once, so who finished is done; in person racers take turn after turn: the whole queue,
  // in its order (a racer goes to its back after each turn, so it is the racing order).
  function renderComingUp(el) {
    const onTrackId = onTrack() ? onTrackRacer().racer_id : null;
    let rows = (state.queue || []).filter((r) => !sameId(r.user_id, onTrackId)
      && (cfg.in_person || r.last_run !== "finished"));
    rows = rows.slice(0, COMING_UP);
    el.querySelector(".cu-rows").innerHTML = rows.length ? rows.map((r) =>
      `<li data-user-id="${esc(r.user_id)}"><span class="slot">${esc(fmtTime(r.slot_at))}</span><span class="flag">${flag(r.user_id)}</span>` +
      `<span class="alias">${esc(r.alias)}</span>${notesOf(r.user_id)}</li>`).join("") : `<li class="lb-empty">Nobody queued</li>`;
  }
  function notesOf(userId) {
    const note = cfg.notes && cfg.notes[String(userId)];
    return note ? `<span class="note">${esc(note)}</span>` : "";
  }
  function renderRaceInfo(el) {
    const race = state.race || {};
    el.querySelector(".ri-name").textContent = race.name || cfg.info.name;
    el.querySelector(".ri-track").textContent = (race.track && race.track.name) || cfg.info.track;
    el.querySelector(".ri-format").textContent = `${cfg.info.format} · ${cfg.info.race_type}`;
    el.querySelector(".ri-time").textContent = `${fmtTime(cfg.info.start_at)}–${fmtTime(cfg.info.end_at)}`;
    el.querySelector(".ri-status").textContent = onTrack() ? `On track: ${onTrackRacer().racer}` : (race.winner ? `Winner: ${race.winner.alias}` : "");
  }
  function renderPodium(el) {
    const winner = state.race && state.race.winner;
    el.querySelector(".pd-winner").textContent = winner ? winner.alias : "";
    el.classList.toggle("declared", !!winner);
    const rows = (state.leaderboard || []).slice(0, 3);
    el.querySelector(".pd-rows").innerHTML = rows.map((r) =>
      `<li class="place-${r.rank}"><span class="rank">${esc(r.rank)}</span><span class="flag">${flag(r.user_id)}</span>` +
      `<span class="alias">${esc(r.racer)}</span><span class="time">${esc(r.time)}</span></li>`).join("");
  }
  // Whom the commentator follows: the in-person turn on the track (the timekeeper's desk, its laps
  // as the timer reports them), else the race's run (a LIVE one, or an in-person turn once recorded).
  function commentated() {
    if (!runOnTrack() && state.turn) {
      const t = state.turn;
      return { racer_id: t.racer_id, racer: t.racer, state: t.dnf ? "DNF" : t.state, laps: turnLaps() };
    }
    const run = state.run;
    return run ? { racer_id: run.racer_id, racer: run.racer, state: run.state, laps: state.laps[run.id] || [] } : null;
  }
  function renderCommentator(el) {
    const run = commentated(), rows = state.leaderboard || [];
    const laps = run ? run.laps : [];
    el.querySelector(".cm-status").textContent = run ? `${run.racer}: ${run.state}` : "Nobody on track";
    el.querySelector(".cm-left").textContent = fmtClock(onTrack() ? timeLeft() : null);
    const valid = laps.filter((l) => l.valid !== false);
    const best = valid.reduce((b, l) => (!b || l.time_ms < b.time_ms ? l : b), null);
    let bestAvg = null;  // best average of 3 consecutive laps, with the first lap's number
    for (let i = 0; i + 3 <= valid.length; i++) {
      const avg = (valid[i].time_ms + valid[i + 1].time_ms + valid[i + 2].time_ms) / 3;
      if (!bestAvg || avg < bestAvg.ms) bestAvg = { ms: avg, from: valid[i].number };
    }
    const mine = run ? rows.find((r) => sameId(r.user_id, run.racer_id)) : null;
    const leader = rows[0];
    const projected = best ? rows.filter((r) => !sameId(r.user_id, run.racer_id) && r.time_ms < best.time_ms).length + 1 : null;
    el.querySelector(".cm-gap").textContent = best && leader ? (sameId(leader.user_id, run.racer_id) && leader.time_ms <= best.time_ms ? "Leader" : `+${((best.time_ms - leader.time_ms) / 1000).toFixed(3)} s`) : "--";
    el.querySelector(".cm-position").textContent = mine ? String(mine.rank) : "--";
    el.querySelector(".cm-projected").textContent = projected ? String(projected) : "--";
    el.querySelector(".cm-fastest").textContent = best ? `${fmtLap(best.time_ms / 1000)} (lap ${best.number})` : "--";
    el.querySelector(".cm-average").textContent = bestAvg ? `${fmtLap(bestAvg.ms / 1000)} (laps ${bestAvg.from}–${bestAvg.from + 2})` : "--";
    const eventBest = leader ? leader.time_ms : null;
    const maxMs = Math.max(1, ...laps.map((l) => l.time_ms), eventBest || 0);
    el.querySelector(".cm-bars").innerHTML = laps.map((l) => {
      const colour = (l.flags || []).includes("session_best") ? "purple" : (l.flags || []).includes("personal_best") ? "green" : "yellow";
      return `<div class="bar ${colour}" style="height:${(100 * l.time_ms / maxMs).toFixed(1)}%" title="lap ${l.number}: ${fmtLap(l.time_ms / 1000)}"><span>${l.number}</span></div>`;
    }).join("") + (eventBest ? `<div class="event-best" style="bottom:${(100 * eventBest / maxMs).toFixed(1)}%" title="event best ${fmtLap(eventBest / 1000)}"></div>` : "");
  }

  // ------------------------------------------------------------------ track map (canvas, 15 Hz)
  let geom = null, mapDirty = false, mapTrack = null;
  function buildGeometry(track, count) {
    const g = (track && track.geometry) || {};
    const pts = (l) => (Array.isArray(l) ? l : []).map((p) => [Number(p[0]), Number(p[1])]);
    const center = pts(g.center), inner = pts(g.inner), outer = pts(g.outer);
    if (center.length < 2) return null;
    const loop = center.concat([center[0]]);
    const cum = [0];
    for (let i = 1; i < loop.length; i++) cum.push(cum[i - 1] + Math.hypot(loop[i][0] - loop[i - 1][0], loop[i][1] - loop[i - 1][1]));
    const total = cum[cum.length - 1];
    // each sector's points (the track split in `count` equal lengths), plus the neighbours on
    // either side so the lines meet
    const sectors = Array.from({ length: count }, (_, k) => {
      const idx = loop.map((_, i) => i).filter((i) => cum[i] >= (total * k) / count - 1e-9 && cum[i] <= (total * (k + 1)) / count + 1e-9);
      if (!idx.length) return [];
      const from = Math.max(0, idx[0] - 1), to = Math.min(loop.length - 1, idx[idx.length - 1] + 1);
      return loop.slice(from, to + 1);
    });
    const all = center.concat(inner, outer), xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    return { count, inner, outer, sectors, minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
  }
  const COLOURS = { purple: "#a020f0", green: "#2ecc71", yellow: "#f1c40f", none: "rgba(255,255,255,0.55)" };
  function drawMap(canvas) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const flags = currentFlags();
    if (mapTrack && (!geom || geom.count !== flags.length)) geom = buildGeometry(mapTrack, flags.length);
    if (!geom) return;
    const pad = 40, bw = Math.max(geom.maxX - geom.minX, 0.1), bh = Math.max(geom.maxY - geom.minY, 0.1);
    const s = Math.min((w - 2 * pad) / bw, (h - 2 * pad) / bh), ox = (w - bw * s) / 2, oy = (h - bh * s) / 2;
    const X = (x) => ox + (x - geom.minX) * s, Y = (y) => oy + (geom.maxY - y) * s;
    const line = (p, close) => { ctx.beginPath(); p.forEach((q, i) => (i ? ctx.lineTo(X(q[0]), Y(q[1])) : ctx.moveTo(X(q[0]), Y(q[1])))); if (close) ctx.closePath(); ctx.stroke(); };
    ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.8)";
    if (geom.inner.length) line(geom.inner, true);
    if (geom.outer.length) line(geom.outer, true);
    ctx.lineWidth = 10; ctx.lineCap = "round";
    geom.sectors.forEach((p, k) => { ctx.strokeStyle = COLOURS[SECTOR[flags[k]] || "none"]; line(p, false); });
    view.mapSectors = flags.map((f) => SECTOR[f] || "none");  // what the map shows, sector by sector (tests)
    const f = state.frame;
    if (f && onTrack() && isFinite(f.x) && isFinite(f.y)) {
      ctx.fillStyle = "#e74c3c"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 4;
      ctx.beginPath(); ctx.arc(X(f.x), Y(f.y), 16, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    }
  }
  function mapLoop() {
    if (mapDirty) { mapDirty = false; document.querySelectorAll("[data-part=map] canvas").forEach(drawMap); }
    requestAnimationFrame(mapLoop);
  }

  const RENDER = { leaderboard: renderLeaderboard, "lower-third": renderLowerThird, "coming-up": renderComingUp,
    "race-info": renderRaceInfo, podium: renderPodium, commentator: renderCommentator, map: () => { mapDirty = true; }, season: () => {} };
  // which parts an event can change (a frame redraws only what moves at 15 Hz)
  const AFFECTS = {
    "race.state": null, "run.state": null, "run.frame": ["lower-third", "map", "commentator"],
    "run.lap": ["lower-third", "map", "commentator"], "leaderboard.changed": ["leaderboard", "podium", "commentator"],
    "queue.changed": ["coming-up"], "timekeeper.state": ["lower-third", "map", "coming-up", "race-info", "commentator"],
  };
  function render(kinds) {
    for (const el of parts) {
      if (kinds && !kinds.includes(el.dataset.part)) continue;
      try { RENDER[el.dataset.part](el); } catch (err) { console.error("overlay: cannot draw", el.dataset.part, err); }
    }
    view.updates += 1;
  }

  function applyLeaderboard(rows) {
    const before = new Map((state.leaderboard || []).map((r) => [String(r.user_id), r.time_ms]));
    for (const r of rows || []) {  // the newest result: a new row, or a time that changed
      if (!before.has(String(r.user_id)) || before.get(String(r.user_id)) !== r.time_ms) {
        state.highlight = r.user_id; state.highlightUntil = Date.now() + HIGHLIGHT_MS;
      }
    }
    state.leaderboard = rows || [];
  }
  function handle(msg) {
    switch (msg.type) {
      case "race.state":
        state.race = msg.race; state.run = msg.run; state.queue = msg.queue || [];
        state.leaderboard = msg.leaderboard || [];
        mapTrack = msg.race && msg.race.track; geom = null;  // drawn in as many sectors as the laps have
        break;
      case "run.state":
        if (!state.run || !sameId(state.run.id, msg.run.id)) state.frame = null;
        state.run = msg.run; break;
      case "run.frame":
        if (state.run && !sameId(state.run.id, msg.run_id)) return;
        state.frame = msg.frame; break;
      case "run.lap": {
        const laps = state.laps[msg.run_id] || (state.laps[msg.run_id] = []);
        const racer = state.run && sameId(state.run.id, msg.run_id) ? state.run.racer_id : "?";
        laps.push({ ...msg.lap, flags: msg.lap.sector_flags || lapFlags(racer, lapSectors(msg.lap)) });
        break;
      }
      case "leaderboard.changed": applyLeaderboard(msg.leaderboard); break;
      case "queue.changed": state.queue = msg.queue || []; break;
      case "timekeeper.state": if (!applyDesk(msg.desk)) return; break;
      default: return;
    }
    view.lastType = msg.type;
    render(AFFECTS[msg.type]);
  }

  // The timekeeper's desk of an in-person race (a newer version only: an older state can arrive late).
  function applyDesk(desk) {
    if (!desk || desk.version < state.deskVersion) return false;
    state.deskVersion = desk.version;
    state.turn = desk.turn || null;
    state.turnAt = performance.now();
    if (desk.queue) state.queue = desk.queue;
    return true;
  }
  if (cfg.desk) applyDesk(cfg.desk);  // a turn on the track when the page opened

  view.handle = handle;  // the page's event entry (tests feed it events of their own)

  let backoff = 500;
  // No access any more (a reset key, a removed commentator, a deleted race): the page goes dark
  // (overlay.css hides its boxes), so a stream does not keep showing what it last knew.
  function goDark() { state.connected = false; document.body.dataset.closed = "no-access"; }
  function retry() { setTimeout(connect, backoff); backoff = Math.min(5000, backoff * 2); }
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const q = cfg.key ? `?key=${encodeURIComponent(cfg.key)}` : "";
    const sock = new WebSocket(`${proto}://${location.host}/ws/races/${encodeURIComponent(cfg.race_id)}/${q}`);
    sock.onopen = () => { backoff = 500; state.connected = true; document.body.dataset.connected = "1"; };
    sock.onmessage = (e) => { let m; try { m = JSON.parse(e.data); } catch (_) { return; } if (m && m.type) handle(m); };
    sock.onclose = (e) => {
      state.connected = false; document.body.dataset.connected = "";
      // 4404 also when a reconnect is refused (races/fanout.py `refuse`); anything else: try again
      if (e.code === 4404) goDark(); else retry();
    };
  }
  setInterval(() => render(["lower-third", "race-info", "leaderboard", "commentator"]), 1000);  // clocks, highlight expiry
  // in person the page counts the lap in progress itself, between two desk states
  if (cfg.in_person) setInterval(() => { if (state.turn && state.turn.clock_running) render(["lower-third", "commentator"]); }, 100);
  render(null);
  requestAnimationFrame(mapLoop);
  connect();
})();
