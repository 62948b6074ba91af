// The organizer's queue editor of a race with turns (the LIVE control panel, an in-person race's
// COMING UP): Edit, drag racers into another order, ✕ takes one out, Save posts the order
// (live_views.save_queue), Cancel puts the rows back as they were.
(function () {
  const body = document.getElementById("queue-body");
  const edit = document.getElementById("edit-queue");
  if (!body || !edit) return;
  const save = document.getElementById("save-queue");
  const cancel = document.getElementById("cancel-queue");
  const order = document.getElementById("queue-order");
  const shown = document.getElementById("queue-shown");  // who the editor showed (in person: racers join any time)
  let original = null;
  let dragged = null;

  function rows() { return Array.from(body.querySelectorAll("tr.queue-row")); }
  function setEditing(on) {
    edit.hidden = on; save.hidden = !on; cancel.hidden = !on;
    // The handles' header comes and goes with their cells, or the headers shift a column.
    const head = body.closest("table").querySelector("thead .drag-handle");
    if (head) head.hidden = !on;
    rows().forEach((row) => {
      row.draggable = on;
      row.querySelector(".drag-handle").hidden = !on;
      row.querySelector(".remove-row").hidden = !on;
      const launch = row.querySelector(".launch-form");  // LIVE only
      if (launch) launch.hidden = on;
    });
  }
  edit.addEventListener("click", () => { original = rows(); setEditing(true); });
  window.queueEditor = { editing: () => edit.hidden, setEditing };  // a page that redraws rows waits
  cancel.addEventListener("click", () => {
    original.forEach((row) => body.appendChild(row));
    rows().forEach((row) => (row.hidden = false));
    setEditing(false);
  });
  save.closest("form").addEventListener("submit", () => {
    order.value = rows().filter((row) => !row.hidden).map((row) => row.dataset.userId).join(",");
    if (shown) shown.value = rows().map((row) => row.dataset.userId).join(",");
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
})();
