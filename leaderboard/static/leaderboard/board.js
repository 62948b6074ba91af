// The race leaderboard panel, live: each `leaderboard.changed` on the race's websocket redraws
// the rows, and the `race.state` of every (re)connect brings the board up to date. The first page in rank order is drawn from the event itself (it carries the top
// rows); a searched, re-sorted or later page, and the "your rank" card, are fetched again from
// the read-only API (/api/races/{id}/leaderboard/), at most a few times a second.
(function () {
  "use strict";
  const panel = document.getElementById("leaderboard");
  if (!panel) return;
  const tbody = document.getElementById("board-rows");
  const tt = tbody.dataset.tt === "1";
  const inPerson = tbody.dataset.inPerson === "1";  // turns on a physical track: no replay, no submissions
  const me = panel.dataset.me;
  const view = { page: +panel.dataset.page || 1, size: +panel.dataset.size || 50,
                 sort: panel.dataset.sort || "rank", q: panel.dataset.q || "" };
  const firstPage = () => view.page === 1 && view.sort === "rank" && !view.q;
  let timer = null;

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    tr.appendChild(td);
    return td;
  }

  function drawRows(rows) {
    if (!rows.length) {
      const tr = document.createElement("tr"); tr.className = "empty";
      const td = cell(tr, view.q ? `No racer matches “${view.q}”.` : "No results yet.");
      td.colSpan = 9; td.className = "muted";
      tbody.replaceChildren(tr);
      return;
    }
    tbody.replaceChildren(...rows.slice(0, view.size).map((r) => {
      const tr = document.createElement("tr");
      if (me && String(r.user_id) === me) tr.className = "me";
      const values = [r.rank, r.racer, r.time, r.gap];
      if (!inPerson) values.push(r.off_track_count);  // timers count resets, not off-tracks
      if (!tt) values.push(r.crash_count);
      values.push(r.reset_count, r.submissions);
      values.forEach((v) => cell(tr, v));
      const watch = cell(tr, "");
      if (r.watch_url) {
        const a = document.createElement("a"); a.href = r.watch_url; a.textContent = inPerson ? "Laps" : "Watch";
        watch.appendChild(a);
      }
      return tr;
    }));
  }

  function drawMe(card) {
    const box = document.getElementById("board-me");
    if (!card) { box.hidden = true; return; }
    box.hidden = false;
    box.replaceChildren();
    if (!card.ranked) {
      box.append(`Not ranked yet: none of your ${card.submissions} ${inPerson ? "turns" : "submissions"} qualifies.`);
      return;
    }
    const strong = (id, text) => { const s = document.createElement("strong"); s.id = id; s.textContent = text; return s; };
    box.append("Your rank: ", strong("board-me-rank", card.rank), ` of ${card.ranked_total} · ${card.time} · gap to fastest `,
               strong("board-me-gap", card.gap));
  }

  function drawCount(total) {
    const count = document.getElementById("board-count");
    if (count && total != null) count.textContent = `${total} racer${total === 1 ? "" : "s"} ranked`;
  }

  async function refetch() {
    timer = null;
    const params = new URLSearchParams({ page: view.page, size: view.size, sort: view.sort, q: view.q });
    try {
      const response = await fetch(`${panel.dataset.api}?${params}`, { credentials: "same-origin",
                                                                       headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      drawRows(data.results || []);
      drawMe(data.me);
      drawCount(data.ranked);
    } catch (err) { /* the next event tries again */ }
  }

  function onChanged(msg) {
    if (firstPage() && Array.isArray(msg.leaderboard)) {
      drawRows(msg.leaderboard);
      drawCount(msg.total);
      if (msg.changed && me && String(msg.changed.user_id) === me) {
        drawMe({ ranked: true, ...msg.changed, ranked_total: msg.total });
        return;
      }
    }
    if (!timer) timer = setTimeout(refetch, firstPage() ? 1000 : 250);
  }

  // The `race.state` a socket gets each time it (re)connects carries the board as it is then:
  // a page opened just before a result (its `leaderboard.changed` went out before the socket
  // joined) or one whose socket was away is made current here. A shared `race.state` carries
  // no `me.board`: the card is then read from the API.
  function onState(msg) {
    const card = msg.me && "board" in msg.me ? msg.me.board : undefined;
    if (firstPage() && Array.isArray(msg.leaderboard)) {
      drawRows(msg.leaderboard);
      drawCount(msg.leaderboard_total);
      if (card !== undefined || !me) { if (me) drawMe(card); return; }
    }
    refreshSoon();
  }

  function refreshSoon() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refetch, 0);
  }

  panel.addEventListener("leaderboard:changed", (e) => onChanged(e.detail));
  panel.addEventListener("leaderboard:state", (e) => onState(e.detail));
  panel.addEventListener("leaderboard:refresh", refreshSoon);

  // One socket per page: a racer's Classic page has the entry panel's (races/static/races/classic.js
  // hands the board its events), an open LIVE race's page the live view's, an in-person race's page
  // the track view's (races/static/races/track_view.js); else the board opens its own.
  if (panel.dataset.liveSocket !== "own") return;
  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${panel.dataset.ws}`);
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "leaderboard.changed") onChanged(msg);
      else if (msg.type === "race.state") onState(msg);
    };
    socket.onclose = (e) => {
      if (e.code === 4404) return; // no access (any more): nothing to stream
      setTimeout(connect, delay); delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
