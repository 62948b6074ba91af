// The organizer's panel: queue editing (drag to reorder, ✕ to remove, Save / Cancel), and the
// reminders to warn the next racers 2 minutes and 30 seconds before the current run ends.
(function () {
  const panel = document.getElementById("control-panel");
  if (!panel) return;
  const body = document.getElementById("queue-body");
  const edit = document.getElementById("edit-queue");
  const save = document.getElementById("save-queue");
  const cancel = document.getElementById("cancel-queue");
  const order = document.getElementById("queue-order");
  let original = null;
  let dragged = null;

  function rows() { return Array.from(body.querySelectorAll("tr.queue-row")); }
  function setEditing(on) {
    edit.hidden = on; save.hidden = !on; cancel.hidden = !on;
    rows().forEach((row) => {
      row.draggable = on;
      row.querySelector(".drag-handle").hidden = !on;
      row.querySelector(".remove-row").hidden = !on;
      row.querySelector(".launch-form").hidden = on;
    });
  }
  if (edit) {
    edit.addEventListener("click", () => { original = rows(); setEditing(true); });
    cancel.addEventListener("click", () => {
      original.forEach((row) => body.appendChild(row));
      rows().forEach((row) => (row.hidden = false));
      setEditing(false);
    });
    save.closest("form").addEventListener("submit", () => {
      order.value = rows().filter((row) => !row.hidden).map((row) => row.dataset.userId).join(",");
    });
    body.addEventListener("click", (event) => {
      const button = event.target.closest(".remove-row");
      if (button) button.closest("tr").hidden = true;
    });
    body.addEventListener("dragstart", (event) => { dragged = event.target.closest("tr"); });
    body.addEventListener("dragover", (event) => {
      event.preventDefault();
      const over = event.target.closest("tr");
      if (!dragged || !over || over === dragged) return;
      const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
      body.insertBefore(dragged, after ? over.nextSibling : over);
    });
    body.addEventListener("drop", (event) => { event.preventDefault(); dragged = null; });
  }

  // Reminders, from the live view's state (live.js keeps it in window.liveView).
  const reminder = document.getElementById("reminder");
  const text = document.getElementById("reminder-text");
  setInterval(() => {
    const state = window.liveView && window.liveView.state;
    const run = state && state.run;
    if (!run || run.state !== "running" || !run.ends_at) { reminder.hidden = true; return; }
    const left = (Date.parse(run.ends_at) - Date.now()) / 1000;
    const queue = (state.queue || []).filter((row) => row.user_id !== run.racer_id && !row.last_run);
    const next = queue.slice(0, 2).map((row) => row.alias);
    if (left <= 30 && next.length) {
      text.textContent = `30 seconds left: ${next[0]} is next — tell them to get ready.`;
      reminder.hidden = false;
    } else if (left <= 120 && next.length) {
      text.textContent = `2 minutes left: contact the next racers (${next.join(", ")}).`;
      reminder.hidden = false;
    } else {
      reminder.hidden = true;
    }
  }, 500);
})();
