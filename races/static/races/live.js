// LIVE race view (templates/races/_live_view.html): track map + HUD on a canvas, countdown and
// flag overlays, the racer's speed control, leaderboard and COMING UP queue.
// Everything comes from the race websocket (races/consumers.py): a full `race.state` snapshot on
// every (re)connect, then events (races/protocol.py). The snapshot is the truth: it re-renders all.
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const el = {
    stage: root.querySelector(".live-stage"), canvas: $("track-canvas"),
    lapTime: $("lap-time"), bestLap: $("best-lap"), remaining: $("time-remaining"), speed: $("speed"),
    resets: $("resets"), racer: $("racer-name"), countdown: $("countdown"), flag: $("flag"),
    wait: $("wait-message"), replay: $("replay-button"), conn: $("connection"),
    control: $("speed-control"), slider: $("speed-slider"), down: $("speed-down"), up: $("speed-up"),
    value: $("speed-value"), reset: $("speed-reset"), toast: $("live-toast"),
    board: $("leaderboard-rows"), queue: $("queue-rows"), winner: $("winner-banner"),
    camera: $("car-camera"), cameraImage: $("car-camera-image"),
  };

  const HZ = 15;                       // simulator frame rate (livesim/realtime.py)
  const REPLAY_CAP = HZ * 60 * 15;     // 15 min of frames, ~13.5k small objects
  const SPEED_MIN = 0.1, SPEED_MAX = 4, SPEED_SEND_MS = 100;
  const CAR_L = 0.32, CAR_W = 0.20, BOX = 0.3;  // m
  const SECTOR_COLOURS = { session_best: "#a020f0", personal_best: "#2ecc71", slowest: "#f1c40f", slower: "#f1c40f" };
  const ENDED = { finished: "Finished", aborted: "Run stopped", failed: "Model failed", stopped: "Run stopped" };

  const dataUser = root.dataset.userId;
  const state = {
    race: null, run: null, ended: null, queue: [], leaderboard: [], connected: false,
    me: { user_id: dataUser ? Number(dataUser) : null, is_organizer: false },
  };
  const view = { state, lastFrame: null, frames: [], send, camera: null };
  window.liveView = view;

  let geom = null;          // track geometry prepared for drawing (see buildGeometry)
  let dirty = true;         // something changed: redraw canvas + HUD at the next animation frame
  let recordingRunId = null;
  let replay = null;        // {i, timer} while the recorded run is played back
  let lapFlash = null;      // {text, until}: a committed lap time held on the HUD for a moment
  let goTimer = null;

  // ---------------------------------------------------------------- formatting
  const pad2 = (n) => String(n).padStart(2, "0");
  function fmtLap(s) {       // 12.345 -> "00:12.345", like leaderboard.ranking.format_ms
    if (s == null || !isFinite(s)) return "--:--.---";
    const ms = Math.max(0, Math.round(s * 1000));
    return `${pad2(Math.floor(ms / 60000))}:${((ms % 60000) / 1000).toFixed(3).padStart(6, "0")}`;
  }
  function fmtClock(s) {     // seconds -> "mm:ss", rounded up so 0:00 means really over
    if (s == null || !isFinite(s)) return "--:--";
    const t = Math.max(0, Math.ceil(s));
    return `${pad2(Math.floor(t / 60))}:${pad2(t % 60)}`;
  }
  function fmtSlot(iso) {
    const d = iso ? new Date(iso) : null;
    return d && !isNaN(d) ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false }) : "";
  }
  const sameId = (a, b) => a != null && b != null && String(a) === String(b);
  const isMe = (userId) => sameId(userId, state.me.user_id);

  // ---------------------------------------------------------------- track geometry
  function points(list) {
    return (Array.isArray(list) ? list : []).filter((p) => p && isFinite(p[0]) && isFinite(p[1]))
      .map((p) => [Number(p[0]), Number(p[1])]);
  }
  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

  // Centre line as a closed loop (unless the track says it is open) with its cumulative length, split
  // into three equal-length sectors; bounds of everything for the fit; mean width for the surface.
  function buildGeometry(track) {
    const g = (track && track.geometry) || {};
    const center = points(g.center), inner = points(g.inner), outer = points(g.outer);
    if (center.length < 2) return null;
    const closed = track.closed !== false;
    if (closed && dist(center[0], center[center.length - 1]) < 1e-6) center.pop();  // no closing duplicate
    const loop = closed ? center.concat([center[0]]) : center;
    const cum = [0];
    for (let i = 1; i < loop.length; i++) cum.push(cum[i - 1] + dist(loop[i - 1], loop[i]));
    const total = cum[cum.length - 1];
    const pointAt = (s) => {
      let i = 1;
      while (i < loop.length - 1 && cum[i] < s) i++;
      const seg = cum[i] - cum[i - 1], f = seg > 0 ? (s - cum[i - 1]) / seg : 0;
      return [loop[i - 1][0] + f * (loop[i][0] - loop[i - 1][0]), loop[i - 1][1] + f * (loop[i][1] - loop[i - 1][1])];
    };
    const sectors = [0, 1, 2].map((k) => {
      const a = (total * k) / 3, b = (total * (k + 1)) / 3;
      const line = [pointAt(a)];
      for (let i = 0; i < loop.length; i++) if (cum[i] > a && cum[i] < b) line.push(loop[i]);
      line.push(pointAt(b));
      return { line, mid: pointAt((a + b) / 2), start: pointAt(a), startNext: pointAt(a + 0.05) };
    });
    let width = 0.6;
    if (inner.length && inner.length === outer.length) {
      width = inner.reduce((sum, p, i) => sum + dist(p, outer[i]), 0) / inner.length;
    }
    const all = center.concat(inner, outer);
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    return { center, inner, outer, closed, sectors, width, total,
      minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
  }

  // ---------------------------------------------------------------- canvas
  const ctx = el.canvas.getContext("2d");
  let cssW = 0, cssH = 0, fit = null;
  function resize() {
    const dpr = window.devicePixelRatio || 1;
    cssW = el.canvas.clientWidth; cssH = el.canvas.clientHeight;
    el.canvas.width = Math.max(1, Math.round(cssW * dpr));
    el.canvas.height = Math.max(1, Math.round(cssH * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);  // draw in CSS pixels from here on
    fit = null; dirty = true;
  }
  new ResizeObserver(resize).observe(el.canvas);
  window.addEventListener("resize", resize);  // zoom changes devicePixelRatio without a box resize

  // World metres -> canvas pixels: uniform scale, centred, y pointing up like the simulator.
  // While the Car camera panel shows (bottom left), the map is fitted to the right of it.
  function fitTrack() {
    const pad = Math.max(16, Math.min(cssW, cssH) * 0.06);
    const left = el.camera.hidden ? 0 : el.camera.offsetLeft + el.camera.offsetWidth;
    const bw = Math.max(geom.maxX - geom.minX, 0.1), bh = Math.max(geom.maxY - geom.minY, 0.1);
    const scale = Math.min((cssW - left - 2 * pad) / bw, (cssH - 2 * pad) / bh);
    return { scale, ox: left + (cssW - left - bw * scale) / 2, oy: (cssH - bh * scale) / 2 };
  }
  const X = (x) => fit.ox + (x - geom.minX) * fit.scale;
  const Y = (y) => fit.oy + (geom.maxY - y) * fit.scale;
  function polyline(pts, close) {
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
    if (close) ctx.closePath();
  }

  // An oriented rectangle (length along the heading) with an optional heading arrow.
  function body(x, y, headingDeg, len, wid, fill, arrow) {
    ctx.save();
    ctx.translate(X(x), Y(y));
    ctx.rotate((-headingDeg * Math.PI) / 180);  // minus: the canvas y axis points down
    ctx.fillStyle = fill; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5;
    ctx.fillRect(-len / 2, -wid / 2, len, wid); ctx.strokeRect(-len / 2, -wid / 2, len, wid);
    if (arrow) {
      ctx.beginPath(); ctx.moveTo(0, 0); ctx.lineTo(len * 0.95, 0); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(len * 1.2, 0); ctx.lineTo(len * 0.85, -wid * 0.45); ctx.lineTo(len * 0.85, wid * 0.45);
      ctx.closePath(); ctx.fillStyle = "#fff"; ctx.fill();
    }
    ctx.restore();
  }

  function draw(frame) {
    ctx.fillStyle = "#0a0e17";
    ctx.fillRect(0, 0, cssW, cssH);
    if (!geom || cssW < 2) return;
    fit = fit || fitTrack();
    const k = fit.scale;
    ctx.lineJoin = ctx.lineCap = "round";
    // surface: the centre line stroked at the track's width (works for open tracks too)
    polyline(geom.center, geom.closed);
    ctx.strokeStyle = "#3b404b"; ctx.lineWidth = geom.width * k; ctx.stroke();
    // sectors, coloured by the flag of the current lap's sector times
    const flags = (frame && Array.isArray(frame.sectors)) ? frame.sectors.map((s) => s && s.flag) : [];
    geom.sectors.forEach((sec, i) => {
      const colour = SECTOR_COLOURS[flags[i]];
      polyline(sec.line, false);
      ctx.lineCap = "butt";
      ctx.strokeStyle = colour || "rgba(255,255,255,.06)";
      ctx.globalAlpha = colour ? 0.7 : 1;
      ctx.lineWidth = geom.width * k * 0.6; ctx.stroke();
      ctx.globalAlpha = 1;
      if (i > 0) {  // sector boundary tick across the track
        const [a, b] = [sec.start, sec.startNext], d = dist(a, b) || 1, h = geom.width / 2;
        const nx = -(b[1] - a[1]) / d, ny = (b[0] - a[0]) / d;
        ctx.beginPath(); ctx.moveTo(X(a[0] + nx * h), Y(a[1] + ny * h)); ctx.lineTo(X(a[0] - nx * h), Y(a[1] - ny * h));
        ctx.setLineDash([4, 4]); ctx.strokeStyle = "rgba(255,255,255,.55)"; ctx.lineWidth = 1.5; ctx.stroke(); ctx.setLineDash([]);
      }
      ctx.fillStyle = "rgba(232,236,245,.8)"; ctx.font = `600 ${Math.max(10, Math.min(16, k * 0.25))}px system-ui, sans-serif`;
      ctx.textAlign = "center"; ctx.textBaseline = "middle";
      ctx.fillText(`S${i + 1}`, X(sec.mid[0]), Y(sec.mid[1]));
    });
    ctx.lineCap = "round";
    // borders in white
    ctx.strokeStyle = "#f5f7fb"; ctx.lineWidth = 2;
    if (geom.inner.length) { polyline(geom.inner, geom.closed); ctx.stroke(); }
    if (geom.outer.length) { polyline(geom.outer, geom.closed); ctx.stroke(); }
    // start/finish line across waypoint 0
    if (geom.inner.length && geom.outer.length) {
      ctx.beginPath(); ctx.moveTo(X(geom.inner[0][0]), Y(geom.inner[0][1])); ctx.lineTo(X(geom.outer[0][0]), Y(geom.outer[0][1]));
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 5; ctx.lineCap = "butt"; ctx.stroke();
      ctx.strokeStyle = "#111"; ctx.setLineDash([4, 4]); ctx.lineWidth = 5; ctx.stroke(); ctx.setLineDash([]);
    }
    if (!frame) return;
    // short fading trail of the recorded frames (live or replay position)
    const upto = replay ? replay.i : view.frames.length - 1;
    const trail = view.frames.slice(Math.max(0, upto - 45), upto + 1);
    for (let i = 1; i < trail.length; i++) {
      ctx.beginPath(); ctx.moveTo(X(trail[i - 1].x), Y(trail[i - 1].y)); ctx.lineTo(X(trail[i].x), Y(trail[i].y));
      ctx.strokeStyle = `rgba(124,77,255,${(i / trail.length) * 0.8})`; ctx.lineWidth = 3; ctx.stroke();
    }
    (Array.isArray(frame.objects) ? frame.objects : []).forEach((o) => {
      const bot = o.kind === "bot";
      const len = Math.max((bot ? CAR_L : BOX) * k, 8), wid = Math.max((bot ? CAR_W : BOX) * k, bot ? 5 : 8);
      body(o.x, o.y, o.heading || 0, len, wid, bot ? "#3d8bff" : "#c9a36b", bot);
    });
    if (isFinite(frame.x) && isFinite(frame.y)) {
      const len = Math.max(CAR_L * k, 16);  // never smaller than a readable marker
      body(frame.x, frame.y, frame.heading || 0, len, (len * CAR_W) / CAR_L, "#ff3d7f", true);
    }
  }

  // ---------------------------------------------------------------- HUD and overlays
  function currentFrame() {
    return replay ? view.frames[replay.i] || null : view.lastFrame;
  }
  function updateHud(frame) {
    const run = state.run || state.ended;
    el.racer.textContent = (run && run.racer) || "–";
    el.stage.classList.toggle("idle", !state.run && !replay);
    const now = performance.now();
    if (lapFlash && now > lapFlash.until) { lapFlash = null; el.lapTime.classList.remove("flash", "session-best"); }
    if (!frame) {
      el.lapTime.textContent = lapFlash ? lapFlash.text : fmtLap(null);
      el.bestLap.textContent = fmtLap(null); el.speed.textContent = "0.00"; el.resets.textContent = "0";
      showClock(wholeTurn());
      return;
    }
    el.lapTime.textContent = lapFlash ? lapFlash.text : fmtLap(frame.lap_time);
    el.bestLap.textContent = fmtLap(frame.best_lap);
    showClock(frame.time_remaining);
    el.speed.textContent = isFinite(frame.speed) ? Number(frame.speed).toFixed(2) : "0.00";
    el.resets.textContent = frame.reset_count != null ? String(frame.reset_count) : "0";
    if (frame.multiplier != null && !replay && speedIdle()) showSpeed(frame.multiplier, true);
  }

  // The time-left clock reads the simulator's own clock (frame.time_remaining) once the car
  // drives, and the whole turn before the first frame. Not ends_at: it is stamped before the
  // simulator has set up the track (the clock would run a few seconds early, then jump back at the
  // first frame), and this computer's clock may be off the server's.
  function wholeTurn() {
    if (state.run && state.run.duration_s) return Number(state.run.duration_s);
    const minutes = state.race && state.race.time_per_racer;
    return minutes ? minutes * 60 : null;
  }
  // The time-left clock; every reading is announced as `live:clock` on the live view (detail:
  // seconds left while a run drives, else null), so that the organizer's reminders
  // (live_panel.js) change in the same moment as the clock they are about.
  function showClock(seconds) {
    el.remaining.textContent = fmtClock(seconds);
    const driving = !replay && state.run && state.run.state === "running";
    root.dispatchEvent(new CustomEvent("live:clock", { detail: { seconds: driving ? seconds : null } }));
  }

  function showCountdown(text, cls) {
    clearTimeout(goTimer);
    el.countdown.hidden = false;
    el.countdown.textContent = text;
    el.countdown.className = "countdown " + (cls || "");
    void el.countdown.offsetWidth;  // restart the pulse animation for each number
    el.countdown.classList.add("pulse");
  }
  function hideCountdown() { clearTimeout(goTimer); el.countdown.hidden = true; }

  function renderOverlays() {
    const run = state.run, ended = state.ended;
    el.flag.hidden = !(ended && ended.state === "finished") || !!replay;
    if (run || replay) {
      el.wait.hidden = true;
    } else if (ended && ENDED[ended.state] && ended.state !== "finished") {
      el.wait.hidden = false;
      const why = ended.failure ? `: ${ended.failure}` : "";
      el.wait.textContent = `${ended.racer ? ended.racer + " – " : ""}${ENDED[ended.state] || ended.state}${why}`;
    } else {
      el.wait.hidden = !el.flag.hidden;
      const inQueue = state.queue.some((q) => isMe(q.user_id));
      el.wait.textContent = inQueue ? "Waiting for your turn…" : "Waiting for the next racer";
    }
    el.replay.hidden = !(ended && isMe(ended.racer_id) && (view.frames.length > 0 || ended.has_trace));
    el.replay.textContent = replay ? "■ Stop replay" : "▶ Replay";
    const w = state.race && state.race.winner;
    el.winner.hidden = !(w && w.alias);
    el.winner.textContent = w && w.alias ? `🏆 Winner: ${w.alias}` : "";
  }

  function cell(tr, text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); tr.appendChild(td); return td; }
  function emptyRow(tbody, cols, text) {
    const tr = document.createElement("tr"); tr.className = "empty";
    const td = cell(tr, text); td.colSpan = cols; td.className = "muted"; tbody.replaceChildren(tr);
  }
  function renderLeaderboard() {
    const rows = Array.isArray(state.leaderboard) ? state.leaderboard : [];
    if (!rows.length) return emptyRow(el.board, 7, "No laps yet");
    el.board.replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      if (r.rank === 1) tr.className = "first";
      [r.rank, r.racer, r.time, r.gap, r.off_track_count, r.crash_count, r.reset_count].forEach((v) => cell(tr, v));
      return tr;
    }));
  }
  function renderQueue() {
    const rows = Array.isArray(state.queue) ? state.queue : [];
    if (!rows.length) return emptyRow(el.queue, 3, "Nobody queued yet");
    const onTrack = state.run && state.run.racer_id;
    el.queue.replaceChildren(...rows.map((q) => {
      const tr = document.createElement("tr");
      tr.classList.toggle("failed", q.status === "failed");
      tr.classList.toggle("current", sameId(q.user_id, onTrack));
      tr.classList.toggle("me", isMe(q.user_id));
      if (q.status === "failed") tr.title = q.failure || "Model failed to submit";
      [q.alias, q.model, fmtSlot(q.slot_at)].forEach((v) => cell(tr, v));
      return tr;
    }));
  }

  // The organizer's "Launching …" message (races/live_views.py UNTIL_RUN) is about the countdown
  // the stage shows anyway: it goes once the launched run drives or is over.
  function dropLaunchNotices() {
    document.querySelectorAll(".messages li.until-run").forEach((li) => {
      const list = li.parentElement;
      li.remove();
      if (list && !list.children.length) list.remove();
    });
  }

  let toastTimer = null;
  function toast(text) {
    el.toast.textContent = text; el.toast.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { el.toast.hidden = true; }, 4000);
  }

  // ---------------------------------------------------------------- runs and frames
  function startRecording(runId) {
    if (sameId(runId, recordingRunId)) return;
    stopReplay();
    recordingRunId = runId; view.traceRunId = null; view.frames = []; view.lastFrame = null;
    speedApplied = 1; showSpeed(1, true);  // a new run starts at the model's own speed
    hideCamera();
  }
  // Apply a run (from a snapshot or a run.state event); `quiet` = no "GO!" on a snapshot of a running run.
  function applyRun(r, quiet) {
    if (!r) return;
    const prev = [state.run, state.ended].find((x) => x && sameId(x.id, r.id));
    const run = Object.assign({}, prev, r);  // events may omit racer / racer_id: keep what we knew
    if (r.count == null) delete run.count;   // a count belongs to the one countdown event
    if (run.state !== "countdown") dropLaunchNotices();
    if (run.state === "countdown" || run.state === "running") {
      startRecording(run.id);
      const wasRunning = prev && prev.state === "running";
      state.run = run; state.ended = null;
      if (run.state === "countdown") showCountdown(run.count != null ? String(run.count) : "Get ready");
      else if (!quiet && !wasRunning) { showCountdown("GO!", "go"); goTimer = setTimeout(hideCountdown, 1200); }
      else if (!wasRunning) hideCountdown();
    } else {
      state.run = null; state.ended = run;
      hideCountdown(); hideCamera();
      speedPending = null; clearTimeout(speedTimer);
    }
    refreshControls(); renderOverlays(); renderQueue(); dirty = true;
  }

  function applySnapshot(msg) {
    const race = msg.race || {};
    const oldSlug = state.race && state.race.track && state.race.track.slug;
    state.race = race;
    if (msg.me) state.me = Object.assign({}, state.me, msg.me);
    state.queue = Array.isArray(msg.queue) ? msg.queue : [];
    state.leaderboard = Array.isArray(msg.leaderboard) ? msg.leaderboard : [];
    if (!geom || (race.track && race.track.slug !== oldSlug)) { geom = buildGeometry(race.track); fit = null; }
    if (msg.run) {
      applyRun(msg.run, true);
    } else {
      dropLaunchNotices();
      if (state.run) { state.ended = Object.assign({}, state.run, { state: "ended" }); state.run = null; hideCountdown(); }
      else if (!state.ended && msg.me && msg.me.last_run) state.ended = Object.assign({}, msg.me.last_run);  // after a reload
    }
    speedInflight = 0;
    refreshControls(); renderLeaderboard(); renderQueue(); renderOverlays(); dirty = true;
  }

  function onFrame(msg) {
    const f = msg.frame;
    if (!f) return;
    startRecording(msg.run_id);
    // Frames only flow while a run drives: if the "running" event was missed, infer it.
    if (state.run && sameId(state.run.id, msg.run_id) && state.run.state !== "running") applyRun({ id: msg.run_id, state: "running" });
    view.lastFrame = f;  // only the newest frame is drawn: a slow browser skips, never lags
    view.frames.push(f);
    if (view.frames.length > REPLAY_CAP) view.frames.shift();
    dirty = true;
  }

  function onLap(msg) {
    const lap = msg.lap || {};
    if (lap.completed === false || lap.time_ms == null) return;
    lapFlash = { text: fmtLap(lap.time_ms / 1000), until: performance.now() + 2500 };
    el.lapTime.classList.remove("flash", "session-best");
    void el.lapTime.offsetWidth;  // restart the CSS animation
    el.lapTime.classList.add("flash");
    el.lapTime.classList.toggle("session-best", !!lap.session_best);
    dirty = true;
  }

  // ---------------------------------------------------------------- car camera
  // `run.camera` (models with a camera only): the grey frame the network was fed, a few a second.
  // The server sends them only while this page says it watches (`camera.watch`: the tab is visible).
  function onCamera(msg) {
    if (!state.run || !sameId(state.run.id, msg.run_id) || typeof msg.image !== "string"
        || !msg.image.startsWith("data:image/")) return;
    view.camera = { run_id: msg.run_id, step: msg.step, sensor: msg.sensor, width: msg.width, height: msg.height };
    el.cameraImage.src = msg.image;
    el.camera.title = msg.sensor ? `${msg.sensor}, ${msg.width}×${msg.height}, as the model sees it` : "";
    if (el.camera.hidden) { el.camera.hidden = false; fit = null; dirty = true; }  // the map moves aside
  }
  function hideCamera() {
    view.camera = null; el.cameraImage.removeAttribute("src");
    if (!el.camera.hidden) { el.camera.hidden = true; fit = null; dirty = true; }
  }
  function watchCamera() { send({ type: "camera.watch", on: document.visibilityState !== "hidden" }); }
  document.addEventListener("visibilitychange", watchCamera);

  // ---------------------------------------------------------------- replay
  function stopReplay() {
    if (!replay) return;
    clearInterval(replay.timer); replay = null;
    renderOverlays(); dirty = true;
  }
  // The server keeps each run's trace: the replay is complete even if this page joined late or
  // was reloaded; the frames recorded here are the fallback.
  async function loadTrace(run) {
    if (!run || !run.has_trace || sameId(view.traceRunId, run.id) || !state.race) return;
    const res = await fetch(`/races/${state.race.id}/runs/${run.id}/trace/`, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`replay not available (${res.status})`);
    const body = await res.json();
    if (!Array.isArray(body.frames) || !body.frames.length) throw new Error("replay is empty");
    if (state.run) return;  // a new run started meanwhile: it owns the view now
    recordingRunId = run.id; view.traceRunId = run.id; view.frames = body.frames; view.lastFrame = null;
  }
  el.replay.addEventListener("click", async () => {
    if (replay) return stopReplay();
    try { await loadTrace(state.ended); } catch (err) { toast(String(err.message || err)); }
    if (!view.frames.length || state.run) return;
    replay = { i: 0, timer: setInterval(() => {
      if (++replay.i >= view.frames.length) stopReplay(); else dirty = true;
    }, 1000 / HZ) };
    renderOverlays(); dirty = true;
  });

  // ---------------------------------------------------------------- speed control
  let speedPending = null, speedTimer = null, speedLastSent = 0, speedInflight = 0, speedTouched = 0, speedApplied = 1;
  const canSetSpeed = () => !!(state.run && state.run.state === "running" && isMe(state.run.racer_id));
  // No change of ours on the way: frames / acks may move the knob without fighting the racer's hand.
  const speedIdle = () => !canSetSpeed() || (speedPending == null && speedInflight === 0 && performance.now() - speedTouched > 1500);

  function refreshControls() {
    const enabled = canSetSpeed();
    const racerRun = (state.run && state.run.state === "running") ? state.run : state.ended;
    el.control.hidden = !(racerRun && isMe(racerRun.racer_id));  // only the racer on their turn sees it
    el.control.classList.toggle("disabled", !enabled);
    [el.slider, el.down, el.up, el.reset].forEach((b) => { b.disabled = !enabled; });
  }
  function showSpeed(v, moveKnob) {
    const n = Number(v);
    if (!isFinite(n)) return;
    if (moveKnob) el.slider.value = String(n);
    el.value.textContent = `${n.toFixed(2)}×`;
  }
  // Throttle: at most one speed.set per SPEED_SEND_MS; the last value is always sent.
  function requestSpeed(v) {
    if (!canSetSpeed()) return;
    speedTouched = performance.now();
    speedPending = v;
    const wait = SPEED_SEND_MS - (performance.now() - speedLastSent);
    if (wait <= 0) flushSpeed();
    else if (!speedTimer) speedTimer = setTimeout(flushSpeed, wait);
  }
  function flushSpeed() {
    speedTimer = null;
    if (speedPending == null) return;
    const value = speedPending;
    speedPending = null;
    if (send({ type: "speed.set", value })) { speedInflight++; speedLastSent = performance.now(); }
    else toast("Not connected: speed not changed");
  }
  function setSpeed(v) {
    const n = Math.round(Math.min(SPEED_MAX, Math.max(SPEED_MIN, v)) * 20) / 20;  // on the slider's 0.05 grid
    showSpeed(n, true);
    requestSpeed(n);
  }
  // The native range input already moves one step on ArrowLeft/Right and fires `input`.
  el.slider.addEventListener("input", () => { showSpeed(el.slider.value, false); requestSpeed(Number(el.slider.value)); });
  el.down.addEventListener("click", () => setSpeed(Number(el.slider.value) - 0.1));
  el.up.addEventListener("click", () => setSpeed(Number(el.slider.value) + 0.1));
  el.reset.addEventListener("click", () => setSpeed(1));
  function onSpeedAck(value) {
    speedInflight = Math.max(0, speedInflight - 1);
    // Only the answer to our latest change moves the knob (the server may have clamped it).
    if (speedInflight === 0 && speedPending == null) showSpeed(value, true);
    if (isFinite(value)) speedApplied = Number(value);
  }
  // Only speed.set is answered (camera.watch is not, unless malformed), so an error answers one: put the knob back.
  function onSpeedError(message) {
    speedInflight = Math.max(0, speedInflight - 1);
    if (speedInflight === 0 && speedPending == null) showSpeed(speedApplied, true);
    toast(message || "Speed not changed");
  }

  // ---------------------------------------------------------------- websocket
  let ws = null, backoff = 500, retry = null;
  function setConn(kind, label) {
    el.conn.className = "conn " + kind;
    el.conn.title = label;
    el.conn.querySelector(".conn-label").textContent = label;
  }
  function send(msg) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }
  function connect() {
    clearTimeout(retry); retry = null;
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}/ws/races/${encodeURIComponent(root.dataset.raceId)}/`);
    ws = sock;
    let opened = false;
    sock.onopen = () => { opened = true; backoff = 500; state.connected = true; setConn("connected", "Live"); watchCamera(); };
    sock.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (_) { return; }
      try { handle(msg); } catch (err) { console.error("live view: cannot apply", msg && msg.type, err); }
    };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      ws = null; state.connected = false; speedInflight = 0;
      // 4404: no access (refused on connect, or revoked while watching). Never reconnect: the
      // server would refuse again; a reload after being let back in starts over.
      if (e.code === 4404) {
        const why = opened ? "You no longer have access to this race" : "No access to this race";
        setConn("offline", why);
        return toast(why);
      }
      setConn("reconnecting", "Reconnecting…");
      retry = setTimeout(connect, backoff);
      backoff = Math.min(5000, backoff * 2);
    };
  }
  window.addEventListener("online", () => { if (!ws && retry) { backoff = 500; connect(); } });

  function handle(msg) {
    switch (msg && msg.type) {
      case "race.state": return applySnapshot(msg);
      case "run.state": return applyRun(msg.run, false);
      case "run.frame": return onFrame(msg);
      case "run.lap": return onLap(msg);
      case "run.camera": return onCamera(msg);
      case "leaderboard.changed": state.leaderboard = msg.leaderboard || []; return renderLeaderboard();
      case "queue.changed": state.queue = msg.queue || []; renderQueue(); return renderOverlays();
      case "speed.ack": return onSpeedAck(msg.value);
      case "error": return onSpeedError(msg.message);
      default: return undefined;  // car.telemetry and future types: not shown here
    }
  }

  // Draw at the display's pace, only when something changed; the clock needs a tick without frames.
  function loop() {
    if (dirty) { dirty = false; const f = currentFrame(); draw(f); updateHud(f); }
    requestAnimationFrame(loop);
  }
  setInterval(() => { if (state.run && !view.lastFrame) dirty = true; if (lapFlash) dirty = true; }, 500);
  resize();
  requestAnimationFrame(loop);
  connect();
})();
