// The import page's preview: the file's first rows and how each column is read, before upload.
// Only a preview: the server parses the whole file again and is the judge.
(function () {
  const input = document.getElementById("id_file");
  const method = document.getElementById("id_timing_method");
  const known = new Set(JSON.parse(document.getElementById("known-columns").textContent));
  const scoreColumns = JSON.parse(document.getElementById("score-columns").textContent);
  const PREVIEW_BYTES = 64 * 1024, PREVIEW_ROWS = 5;

  function splitCsvLine(line) {  // enough for a preview: quoted cells without newlines
    const cells = []; let cell = "", quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
        else if (c === '"') quoted = false; else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { cells.push(cell); cell = ""; }
      else cell += c;
    }
    cells.push(cell);
    return cells;
  }

  function row(table, cells, tag) {
    const tr = table.insertRow();
    for (const text of cells) {
      const td = document.createElement(tag); td.textContent = text; tr.appendChild(td);
    }
    return tr;
  }

  function show(text) {
    const lines = text.replace(/^\ufeff/, "").split(/\r?\n/).filter((l) => l.length);
    const mapping = document.getElementById("column-mapping");
    const rows = document.getElementById("preview-rows");
    mapping.replaceChildren(); rows.replaceChildren();
    if (!lines.length) return;
    const header = splitCsvLine(lines[0]).map((c) => c.trim());
    const ranked = scoreColumns[method.value];
    row(mapping, ["Column", "Read as"], "th");
    for (const name of header) {
      let how = known.has(name) ? "kept" : "unknown: the file will be refused";
      if (name === ranked) how = "ranks the race (" + method.value + ")";
      if (name === "RacerId" || name === "UserId") how = "the racer's identity across races";
      row(mapping, [name, how], "td").dataset.column = name;
    }
    row(rows, header, "th");
    for (const line of lines.slice(1, 1 + PREVIEW_ROWS)) row(rows, splitCsvLine(line), "td");
    document.getElementById("preview").hidden = false;
  }

  function preview() {
    const file = input.files && input.files[0];
    if (!file) return;
    file.slice(0, PREVIEW_BYTES).text().then(show);
  }
  input.addEventListener("change", preview);
  method.addEventListener("change", preview);
})();
