// Race cards: every [data-countdown] counts down to its ISO time, once a second.
(function () {
  "use strict";
  const els = document.querySelectorAll("[data-countdown]");
  if (!els.length) return;
  const two = (n) => String(n).padStart(2, "0");
  function tick() {
    const now = Date.now();
    els.forEach((el) => {
      const left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - now) / 1000));
      const d = Math.floor(left / 86400), h = Math.floor(left / 3600) % 24, m = Math.floor(left / 60) % 60, s = left % 60;
      el.textContent = (d ? `${d}d ` : "") + `${two(h)}:${two(m)}:${two(s)}`;
    });
  }
  tick();
  setInterval(tick, 1000);
})();
