// Watch a finished run: its saved frames (the LIVE replay's trace, /races/<race>/runs/<run>/trace/)
// drawn on the track map, with play/pause and a scrubber.
(function () {
  const root = document.getElementById("watch");
  if (!root) return;
  const canvas = document.getElementById("watch-canvas"), ctx = canvas.getContext("2d");
  const play = document.getElementById("watch-play"), scrub = document.getElementById("watch-scrubber");
  const timeOut = document.getElementById("watch-time"), info = document.getElementById("watch-info");
  const g = JSON.parse(document.getElementById("track-geometry").textContent || "{}");
  const pts = (l) => (Array.isArray(l) ? l : []).map((p) => [Number(p[0]), Number(p[1])]);
  const center = pts(g.center), inner = pts(g.inner), outer = pts(g.outer);
  const all = center.concat(inner, outer);
  const minX = Math.min(...all.map((p) => p[0])), maxX = Math.max(...all.map((p) => p[0]));
  const minY = Math.min(...all.map((p) => p[1])), maxY = Math.max(...all.map((p) => p[1]));
  const pad = 20, W = canvas.width, H = canvas.height;
  const scale = Math.min((W - 2 * pad) / Math.max(maxX - minX, 0.1), (H - 2 * pad) / Math.max(maxY - minY, 0.1));
  const ox = (W - (maxX - minX) * scale) / 2, oy = (H - (maxY - minY) * scale) / 2;
  const X = (x) => ox + (x - minX) * scale, Y = (y) => oy + (maxY - y) * scale;  // y up, as the simulator
  let frames = [], hz = 15, i = 0, timer = null;

  function line(list, close, style, width) {
    if (!list.length) return;
    ctx.beginPath();
    list.forEach((p, k) => (k ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
    if (close) ctx.closePath();
    ctx.strokeStyle = style; ctx.lineWidth = width; ctx.stroke();
  }
  function draw() {
    ctx.fillStyle = "#0a0e17"; ctx.fillRect(0, 0, W, H);
    line(outer, true, "#e6e6e6", 2); line(inner, true, "#e6e6e6", 2); line(center, true, "#d9a400", 1);
    const f = frames[i];
    if (!f) return;
    const trail = frames.slice(Math.max(0, i - 45), i + 1).map((p) => [p.x, p.y]);
    line(trail, false, "rgba(80,180,255,0.6)", 3);
    (f.objects || []).forEach((o) => car(o.x, o.y, o.heading, "#ff7a00"));
    car(f.x, f.y, f.heading, "#7b2ff7");
    timeOut.textContent = `${(f.t || 0).toFixed(3)} s`;
    info.textContent = `Trial ${f.lap || 1} · ${Math.floor(f.progress || 0)} % · ${(f.speed || 0).toFixed(2)} m/s`;
    scrub.value = String(i);
  }
  function car(x, y, headingDeg, fill) {
    ctx.save(); ctx.translate(X(x), Y(y)); ctx.rotate((-headingDeg * Math.PI) / 180);
    const len = Math.max(8, 0.35 * scale), wid = Math.max(5, 0.2 * scale);
    ctx.fillStyle = fill; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5;
    ctx.fillRect(-len / 2, -wid / 2, len, wid); ctx.strokeRect(-len / 2, -wid / 2, len, wid);
    ctx.restore();
  }
  function pause() { clearInterval(timer); timer = null; play.textContent = "▶ Play"; root.dataset.playing = ""; }
  function start() {
    if (i >= frames.length - 1) i = 0;
    play.textContent = "❚❚ Pause"; root.dataset.playing = "1";
    timer = setInterval(() => { if (i >= frames.length - 1) return pause(); i += 1; draw(); }, 1000 / hz);
  }
  play.addEventListener("click", () => (timer ? pause() : start()));
  scrub.addEventListener("input", () => { i = Number(scrub.value); draw(); });
  fetch(root.dataset.traceUrl, { credentials: "same-origin" }).then((r) => {
    if (!r.ok) throw new Error(`replay not available (${r.status})`);
    return r.json();
  }).then((body) => {
    frames = body.frames || []; hz = body.hz || 15;
    scrub.max = String(Math.max(0, frames.length - 1));
    play.disabled = scrub.disabled = !frames.length;
    root.dataset.frames = String(frames.length);
    draw();
  }).catch((err) => { info.textContent = String(err.message || err); });
  draw();
})();
