// Shows the options that belong to the chosen race type and format, sorts tracks, and
// fills the time zone from the browser. The server checks everything again.
(function () {
  const form = document.querySelector("form.race-form");
  if (!form) return;
  const state = JSON.parse(document.getElementById("race-form-state").textContent);
  function current(name) {
    const el = form.querySelector(`[name=${name}]:checked`) || form.querySelector(`[name=${name}]`);
    return el ? el.value : state[name];
  }
  function refresh() {
    const kinds = [current("race_type"), current("format")];
    form.querySelectorAll("[data-show-for]").forEach((el) => {
      el.hidden = !el.dataset.showFor.split(" ").some((k) => kinds.includes(k));
    });
    form.querySelectorAll("[data-hide-for]").forEach((el) => {
      el.hidden = el.dataset.hideFor.split(" ").some((k) => kinds.includes(k));
    });
    const count = parseInt(current("object_count") || "0", 10);
    const random = form.querySelector("[name=random_objects]");
    const placements = document.getElementById("object-placements");
    if (placements) placements.hidden = random && random.checked;
    form.querySelectorAll(".object-row").forEach((row) => {
      row.hidden = parseInt(row.dataset.index, 10) > count;
    });
    const laneChange = form.querySelector("[name=lane_change]");
    const times = document.getElementById("lane-change-times");
    if (times && laneChange) times.hidden = !laneChange.checked;
    const student = current("flavour") === "student";
    form.querySelectorAll("#track-list label").forEach((label) => {
      label.hidden = student && label.dataset.student !== "1";
    });
  }
  form.addEventListener("change", refresh);
  // LIVE races last 4 hours unless the organizer types an end: drop the Classic end the page prefilled.
  form.querySelectorAll("[name=format]").forEach((radio) => {
    radio.addEventListener("change", () => {
      const end = form.querySelector("[name=end_at]");
      if (radio.checked && radio.value === "live" && end) end.value = "";
    });
  });
  form.addEventListener("input", refresh);
  refresh();
  const sort = document.getElementById("track-sort");
  const list = document.getElementById("track-list");
  if (sort && list) {
    sort.addEventListener("change", () => {
      const [key, dir] = sort.value.split(":");
      const items = Array.from(list.children);
      items.sort((a, b) => (parseFloat(a.dataset[key]) - parseFloat(b.dataset[key])) * (dir === "asc" ? 1 : -1));
      items.forEach((el) => list.appendChild(el));
    });
  }
  const tz = form.querySelector("select[name=time_zone]");
  if (tz && state.fresh) {
    const browserTz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if ([...tz.options].some((o) => o.value === browserTz)) tz.value = browserTz;
  }
})();
