// The review page: the scan with its lines, words and characters drawn over it (zoom
// and pan), the page's lines to transcribe one by one (whole-page layouts), a word and
// character editor (form fields, and any word clicked on the scan), and segmentation
// edits. Every change goes to the REST API and re-reads the page's data, so what is
// shown is always what is stored. A job still running is followed until it ends.
(function () {
  "use strict";
  const el = (id) => document.getElementById(id);

  // ---- Live state: follow the page's unfinished job and reload when it ends.
  const live = el("live");
  if (live) {
    const follow = async () => {
      let delay = 1500;
      try {
        const response = await fetch(live.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.ok) {
          const job = await response.json();
          el("live-status").textContent = job.status;
          el("live-progress").value = job.progress || 0;
          el("live-percent").textContent = `${job.progress || 0}%`;
          if (job.status === "succeeded" || job.status === "failed") {
            if (!hasUnsavedEdits()) {
              window.location.reload();
              return;
            }
            // Reloading now would lose what the reviewer is typing: offer it instead.
            live.replaceChildren("The new reading has ended (", job.status, "). ");
            const link = document.createElement("a");
            link.href = window.location.href;
            link.textContent = "Reload to see it";
            live.append(link, " once your change is saved.");
            return;
          }
        } else {
          delay = 5000;
        }
      } catch (err) {
        delay = 5000; // the server is restarting: keep asking, less often
      }
      window.setTimeout(follow, delay);
    };
    window.setTimeout(follow, 1000);
  }

  // A line or word typed into and not saved yet.
  function hasUnsavedEdits() {
    if (!el("review")) return false;
    const lineChanged = Array.from(document.querySelectorAll("input.line-text")).some((input) => {
      const line = lineById(Number(input.id.replace("line-text-", "")));
      return line && input.value.trim() !== line.text;
    });
    const word = selected && wordById(selected);
    return lineChanged || Boolean(word && el("word-text").value.trim() !== word.text);
  }

  const root = el("review");
  if (!root) return;
  const SVG = "http://www.w3.org/2000/svg";
  const csrf = root.dataset.csrf;
  const dataUrl = root.dataset.dataUrl;
  const jobId = Number(root.dataset.job);
  const byLines = root.dataset.layout === "page";
  const scan = el("scan");
  const viewer = el("viewer");
  const canvas = el("canvas");
  let data = JSON.parse(el("review-data").textContent);
  let selected = null; // a word id
  let selectedLine = null; // a line id

  const wordById = (id) => data.words.find((w) => w.id === id);
  const lineById = (id) => data.lines.find((l) => l.id === id);
  const colour = (c) => `hsl(${Math.round(120 * Math.max(0, Math.min(1, c)))}, 85%, 38%)`;

  function say(message, isError) {
    const status = el("status");
    status.textContent = message || "";
    status.classList.toggle("error", Boolean(isError));
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = payload.detail || Object.values(payload).flat().join(" ") || response.statusText;
      throw new Error(detail);
    }
    return payload;
  }

  async function reload() {
    const response = await fetch(dataUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("Could not reload the page's data.");
    data = await response.json();
    if (selected && !wordById(selected)) selected = null;
    if (selectedLine && !lineById(selectedLine)) selectedLine = null;
    render();
  }

  async function act(change, then) {
    try {
      const result = await change();
      await reload();
      if (then) then(result);
      else if (selected) selectWord(selected);
    } catch (err) {
      say(err.message, true);
    }
  }

  // ---- Zoom and pan: the scan and its overlay are one element, moved and scaled.
  const view = { scale: 1, x: 0, y: 0 };
  const MAX_SCALE = 8;
  const fitWidthScale = () => viewer.clientWidth / data.width;
  const fitPageScale = () => Math.min(viewer.clientWidth / data.width, viewer.clientHeight / data.height);

  function applyView() {
    canvas.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    el("zoom-level").textContent = `${Math.round(view.scale * 100)}%`;
    // For tests and for anyone debugging the view: where the page is drawn.
    viewer.dataset.scale = view.scale.toFixed(4);
    viewer.dataset.x = view.x.toFixed(1);
    viewer.dataset.y = view.y.toFixed(1);
  }

  function clampScale(scale) {
    return Math.max(Math.min(fitPageScale(), fitWidthScale()) * 0.5, Math.min(MAX_SCALE, scale));
  }

  function zoomAt(factor, cx, cy) {
    const scale = clampScale(view.scale * factor);
    const px = cx === undefined ? viewer.clientWidth / 2 : cx;
    const py = cy === undefined ? viewer.clientHeight / 2 : cy;
    view.x = px - ((px - view.x) * scale) / view.scale;
    view.y = py - ((py - view.y) * scale) / view.scale;
    view.scale = scale;
    applyView();
  }

  function fitWidth() {
    const top = -view.y / view.scale; // keep the same page row at the top
    view.scale = fitWidthScale();
    view.x = 0;
    view.y = -top * view.scale;
    applyView();
  }

  function fitPage() {
    view.scale = fitPageScale();
    view.x = (viewer.clientWidth - data.width * view.scale) / 2;
    view.y = (viewer.clientHeight - data.height * view.scale) / 2;
    applyView();
  }

  // Bring a box into view: as wide as the viewer allows (never smaller than the page's
  // width fits), in the middle.
  function showBox(bbox) {
    const [x, y, w, h] = bbox;
    const wide = (viewer.clientWidth * 0.92) / Math.max(w, 1);
    const high = (viewer.clientHeight * 0.4) / Math.max(h, 1);
    view.scale = Math.max(fitWidthScale(), Math.min(wide, high, 3));
    view.x = viewer.clientWidth / 2 - (x + w / 2) * view.scale;
    view.y = viewer.clientHeight / 2 - (y + h / 2) * view.scale;
    applyView();
  }

  function pagePoint(event) {
    const r = viewer.getBoundingClientRect(); // the page is drawn inside the viewer's border
    return [(event.clientX - r.left - viewer.clientLeft - view.x) / view.scale,
      (event.clientY - r.top - viewer.clientTop - view.y) / view.scale];
  }

  viewer.addEventListener("wheel", (event) => {
    event.preventDefault();
    const r = viewer.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - r.left - viewer.clientLeft,
      event.clientY - r.top - viewer.clientTop);
  }, { passive: false });

  let drawing = false; // the "draw a line" mode
  let drag = null;
  viewer.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false, start: pagePoint(event) };
    if (drawing) {
      viewer.setPointerCapture(event.pointerId);
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("class", "drawn");
      r.id = "drawn";
      el("boxes").appendChild(r);
      event.preventDefault();
    }
  });
  viewer.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved && !drawing) viewer.setPointerCapture(event.pointerId);
    drag.moved = true;
    if (drawing) {
      const [x1, y1] = pagePoint(event);
      const [x0, y0] = drag.start;
      const r = el("drawn");
      if (!r) return;
      r.setAttribute("x", Math.min(x0, x1));
      r.setAttribute("y", Math.min(y0, y1));
      r.setAttribute("width", Math.abs(x1 - x0));
      r.setAttribute("height", Math.abs(y1 - y0));
    } else {
      view.x = drag.vx + dx;
      view.y = drag.vy + dy;
      applyView();
    }
  });
  viewer.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const finished = drag;
    drag = null;
    if (drawing) {
      const [x1, y1] = pagePoint(event);
      const [x0, y0] = finished.start;
      const bbox = [Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0)].map(Math.round);
      setDrawing(false);
      if (el("drawn")) el("drawn").remove();
      if (bbox[2] < 4 || bbox[3] < 4) return say("Drag a box over the line to draw it.", true);
      act(() => send("POST", "/api/lines/", { job: jobId, bbox }), (line) => {
        selectLine(line.id);
        say("Line drawn: type its text and press Enter.");
      });
    } else if (finished.moved) {
      suppressClickUntil = Date.now() + 400;
    }
  });
  // A drag is not a click on the box it ended over.
  let suppressClickUntil = 0;
  viewer.addEventListener("click", (event) => {
    if (Date.now() < suppressClickUntil) event.stopPropagation();
  }, { capture: true });

  function setDrawing(on) {
    drawing = on;
    el("draw-line").setAttribute("aria-pressed", String(on));
    viewer.classList.toggle("drawing", on);
    if (on) say("Drag a box over the missed line.");
  }

  // ---- The overlay.
  function rect(box, cls, stroke) {
    const r = document.createElementNS(SVG, "rect");
    ["x", "y", "width", "height"].forEach((name, i) => r.setAttribute(name, box[i]));
    r.setAttribute("class", cls);
    if (stroke) r.setAttribute("stroke", stroke);
    return r;
  }

  function lineShape(line) {
    const cls = ["line", line.id === selectedLine ? "selected" : "", line.corrected ? "corrected" : ""].join(" ");
    if (!line.polygon || line.polygon.length < 3) return rect(line.bbox, cls);
    const p = document.createElementNS(SVG, "polygon");
    p.setAttribute("points", line.polygon.map((pt) => pt.join(",")).join(" "));
    p.setAttribute("class", cls);
    return p;
  }

  function renderBoxes() {
    const svg = el("boxes");
    svg.replaceChildren();
    const showChars = el("show-chars").checked;
    for (const line of data.lines) {
      const shape = lineShape(line);
      shape.id = `poly-${line.id}`;
      if (byLines) shape.addEventListener("click", () => selectLine(line.id));
      svg.appendChild(shape);
    }
    for (const word of data.words) {
      const g = document.createElementNS(SVG, "g");
      g.dataset.word = word.id;
      if (showChars) {
        for (const ch of word.chars) {
          g.appendChild(rect(ch.bbox, "char" + (ch.not_text ? " not-text" : ""), colour(ch.confidence)));
        }
      }
      const cls = ["word", word.not_text ? "not-text" : "", word.corrected ? "corrected" : "",
        word.id === selected ? "selected" : ""].join(" ");
      const box = rect(word.bbox, cls, colour(word.confidence));
      box.id = `box-${word.id}`;
      g.appendChild(box);
      g.addEventListener("click", () => selectWord(word.id));
      svg.appendChild(g);
    }
  }

  // ---- Crops of the scan beside the text.
  function drawCrop(target, bbox, height) {
    if (!scan.complete || !scan.naturalWidth) return;
    const pad = 4;
    const x = Math.max(0, bbox[0] - pad);
    const y = Math.max(0, bbox[1] - pad);
    const w = Math.min(data.width - x, bbox[2] + 2 * pad);
    const h = Math.min(data.height - y, bbox[3] + 2 * pad);
    const room = target.parentElement ? target.parentElement.clientWidth : 400;
    let scale = Math.min(room / w, (2.5 * height) / h);
    if (h * scale < height) scale = height / h; // too thin to read: wider than the panel, scrolled
    target.width = Math.max(1, Math.round(w * scale));
    target.height = Math.max(1, Math.round(h * scale));
    const ctx = target.getContext("2d");
    ctx.drawImage(scan, x, y, w, h, 0, 0, target.width, target.height);
  }

  // ---- Lines, one by one (whole-page layouts).
  const kindLabel = (value) => (data.line_kinds.find((k) => k.value === value) || { label: "type?" }).label;

  function renderLines() {
    const list = el("lines");
    if (!list) return;
    list.replaceChildren();
    const doubtful = data.lines.filter((l) => l.doubtful).length;
    const confirmed = data.lines.filter((l) => l.corrected).length;
    el("lines-left").textContent = `${data.lines.length} lines: ${doubtful} doubtful, ${confirmed} confirmed`;
    for (const line of data.lines) {
      const li = document.createElement("li");
      li.id = `line-row-${line.id}`;
      li.className = ["line-row", line.doubtful ? "doubtful" : "", line.corrected ? "corrected" : "",
        line.id === selectedLine ? "selected" : ""].join(" ");
      const cropBox = document.createElement("div");
      cropBox.className = "crop-box";
      const crop = document.createElement("canvas");
      crop.className = "crop";
      crop.id = `line-crop-${line.id}`;
      cropBox.appendChild(crop);
      crop.addEventListener("click", () => selectLine(line.id));
      const input = document.createElement("input");
      input.className = "line-text";
      input.id = `line-text-${line.id}`;
      input.value = line.text;
      input.spellcheck = false;
      input.setAttribute("aria-label", `Text of line ${line.order + 1}`);
      input.addEventListener("focus", () => { if (selectedLine !== line.id) selectLine(line.id, { focus: false }); });
      input.addEventListener("keydown", (event) => lineKey(event, line, input));
      const tools = document.createElement("div");
      tools.className = "line-tools";
      const number = document.createElement("span");
      number.className = "line-number";
      number.textContent = `${line.order + 1}`;
      number.title = line.corrected ? "confirmed" : `confidence ${line.confidence.toFixed(2)}`;
      const kind = document.createElement("select");
      kind.id = `line-kind-${line.id}`;
      kind.title = "What writing the line holds";
      kind.append(new Option("type?", "", !line.kind, !line.kind));
      for (const k of data.line_kinds) kind.append(new Option(k.label, k.value, false, k.value === line.kind));
      kind.addEventListener("change", () => act(() => send("PATCH", `/api/lines/${line.id}/`, { kind: kind.value }),
        () => { selectLine(line.id, { focus: false }); say(`Line ${line.order + 1} is ${kindLabel(kind.value)}.`); }));
      const up = toolButton("↑", "Earlier in reading order", line.order === 0,
        () => act(() => send("PATCH", `/api/lines/${line.id}/`, { order: line.order - 1 }), () => selectLine(line.id)));
      const down = toolButton("↓", "Later in reading order", line.order === data.lines.length - 1,
        () => act(() => send("PATCH", `/api/lines/${line.id}/`, { order: line.order + 1 }), () => selectLine(line.id)));
      const drop = toolButton("✕", "Delete this line (it is not a line of text)", false, () => {
        if (!window.confirm(`Delete line ${line.order + 1}${line.text ? ` “${line.text}”` : ""}?`)) return;
        act(() => send("DELETE", `/api/lines/${line.id}/`), () => say(`Line ${line.order + 1} deleted.`));
      });
      drop.id = `line-delete-${line.id}`;
      tools.append(number, kind, up, down, drop);
      li.append(cropBox, input, tools);
      list.appendChild(li);
    }
    drawLineCrops();
  }

  function drawLineCrops() {
    for (const line of data.lines) {
      const crop = el(`line-crop-${line.id}`);
      if (crop) drawCrop(crop, line.bbox, 30);
    }
  }

  function toolButton(label, title, disabled, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.disabled = disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function selectLine(id, options) {
    const focus = !options || options.focus !== false;
    selectedLine = id;
    selected = null;
    render();
    const line = lineById(id);
    if (!line) return;
    showBox(line.bbox);
    const row = el(`line-row-${id}`);
    if (row) scrollSideTo(row);
    const input = el(`line-text-${id}`);
    if (input && focus) {
      input.focus({ preventScroll: true });
      input.setSelectionRange(input.value.length, input.value.length);
    }
  }

  // The neighbouring line (step -1 or 1), or with doubtfulOnly the next doubtful line
  // after this one, from the top again past the last.
  // Only the side panel scrolls to show a line's row; the window stays where it is.
  function scrollSideTo(row) {
    const side = el("side");
    const top = row.getBoundingClientRect().top - side.getBoundingClientRect().top;
    if (top < 0 || top + row.offsetHeight > side.clientHeight) side.scrollTop += top - side.clientHeight / 3;
  }

  function lineAfter(id, step, doubtfulOnly) {
    const lines = data.lines;
    const at = lines.findIndex((l) => l.id === id);
    if (!doubtfulOnly) {
      const k = at + step;
      return k >= 0 && k < lines.length ? lines[k].id : null;
    }
    for (let k = 1; k < lines.length; k++) {
      const line = lines[(at + k) % lines.length];
      if (line.doubtful) return line.id;
    }
    return null;
  }

  function goToLine(step) {
    if (!data.lines.length) return;
    const next = selectedLine ? lineAfter(selectedLine, step, false) : data.lines[0].id;
    if (next) selectLine(next);
  }

  function saveLine(line, text, then) {
    return act(() => send("PATCH", `/api/lines/${line.id}/`, { text }), then);
  }

  function lineKey(event, line, input) {
    const changed = input.value.trim() !== line.text;
    if (event.key === "Enter") {
      event.preventDefault();
      if (!input.value.trim()) return say("A line needs its text; delete it (✕) if it is not a line.", true);
      saveLine(line, input.value, () => {
        const next = lineAfter(line.id, 1, true);
        if (next) selectLine(next);
        else selectLine(line.id, { focus: false });
        say(`Saved line ${line.order + 1}.` + (next ? "" : " No doubtful lines left on this page."));
      });
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !event.altKey) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (changed && input.value.trim()) saveLine(line, input.value, () => goToLine(step));
      else goToLine(step);
    } else if (event.key === "Escape") {
      input.value = line.text;
      say("");
    }
  }

  // ---- The recognised text and the doubtful words.
  function wordChip(word) {
    const span = document.createElement("span");
    span.className = ["word", word.doubtful ? "doubtful" : "", word.corrected ? "corrected" : "",
      word.not_text ? "not-text" : "", word.id === selected ? "selected" : ""].join(" ");
    span.id = `word-${word.id}`;
    span.textContent = word.text || "∅";
    span.title = `confidence ${word.confidence.toFixed(2)}`;
    span.style.borderColor = colour(word.confidence);
    span.addEventListener("click", () => selectWord(word.id));
    return span;
  }

  function renderText() {
    const text = el("text");
    text.replaceChildren();
    for (const line of data.lines) {
      const div = document.createElement("div");
      div.className = "line";
      for (const id of line.words) {
        div.appendChild(wordChip(wordById(id)));
        div.appendChild(document.createTextNode(" "));
      }
      text.appendChild(div);
    }
    const list = el("doubtful");
    list.replaceChildren();
    for (const id of data.review_order) {
      const word = wordById(id);
      const li = document.createElement("li");
      li.appendChild(wordChip(word));
      const conf = document.createElement("small");
      conf.textContent = word.corrected ? " confirmed" : ` ${word.confidence.toFixed(2)}`;
      li.appendChild(conf);
      li.querySelector("span").id = `list-${word.id}`;
      list.appendChild(li);
    }
  }

  // ---- The word and character editor.
  function renderEditor() {
    const editor = el("editor");
    const word = selected && wordById(selected);
    editor.hidden = !word;
    if (!word) return;
    el("editor-id").textContent = `${word.id}`;
    el("editor-confidence").textContent = word.corrected ? "confirmed" : `confidence ${word.confidence.toFixed(2)}`;
    el("editor-original").textContent = word.corrected && word.original_text ? `read as “${word.original_text}”` : "";
    el("word-not-text").textContent = word.not_text ? "It is text" : "Not text";
    el("word-merge").disabled = !nextWordInLine(word);
    drawCrop(el("word-crop"), word.bbox, 40);
    const chars = el("chars");
    chars.replaceChildren();
    word.chars.forEach((ch, i) => {
      const cell = document.createElement("span");
      cell.className = "char" + (ch.not_text ? " not-text" : "");
      const input = document.createElement("input");
      input.value = ch.text;
      input.maxLength = 2;
      input.id = `char-${ch.id}`;
      input.title = `confidence ${ch.confidence.toFixed(2)}` +
        (ch.alternatives && ch.alternatives.length ? "; " + ch.alternatives.map((a) => `${a[0]} ${a[1]}`).join(", ") : "");
      input.style.borderColor = colour(ch.confidence);
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          input.dataset.sent = "1";
          saveChar(ch, input.value);
        } else if (event.key === "Escape") {
          input.value = ch.text;
          el("word-text").focus();
        }
      });
      // With the mouse: a changed label is saved when the box loses focus.
      input.addEventListener("change", () => {
        if (!input.dataset.sent && input.value !== ch.text) saveChar(ch, input.value);
      });
      const drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = "✕";
      drop.title = ch.not_text ? "It is text" : "Not text";
      drop.addEventListener("click", () => act(() => send("PATCH", `/api/chars/${ch.id}/`, { not_text: !ch.not_text })));
      cell.append(input, drop);
      chars.appendChild(cell);
      const next = word.chars[i + 1];
      if (next) {
        const merge = document.createElement("button");
        merge.type = "button";
        merge.className = "merge";
        merge.textContent = "⇔";
        merge.title = "Merge with the next character (label: this box's text)";
        merge.addEventListener("click", () => {
          const label = input.value.trim();
          if (label.length !== 1) return say("Type the merged character's label in the first box.", true);
          act(() => send("POST", `/api/chars/${ch.id}/merge/`, { other: next.id, text: label }));
        });
        chars.appendChild(merge);
      }
    });
  }

  function nextWordInLine(word) {
    const line = lineById(word.line);
    if (!line) return null;
    const ids = line.words.filter((id) => !wordById(id).not_text);
    const at = ids.indexOf(word.id);
    return at >= 0 && at + 1 < ids.length ? wordById(ids[at + 1]) : null;
  }

  function render() {
    renderBoxes();
    renderLines();
    renderText();
    renderEditor();
  }

  function selectWord(id) {
    selected = id;
    const word = wordById(id);
    if (word && byLines) selectedLine = word.line;
    render();
    const input = el("word-text");
    input.value = word ? word.text : "";
    input.focus({ preventScroll: true });
    input.select();
    say("");
    const box = el(`box-${id}`);
    if (box && word && !boxInView(word.bbox)) showBox(word.bbox);
  }

  function boxInView(bbox) {
    const [x, y, w, h] = bbox.map((v) => v * view.scale);
    return x + view.x >= 0 && y + view.y >= 0 && x + w + view.x <= viewer.clientWidth &&
      y + h + view.y <= viewer.clientHeight && w >= 12;
  }

  function nextDoubtful(after) {
    const order = data.review_order.filter((id) => wordById(id).doubtful);
    if (!order.length) return null;
    const start = data.review_order.indexOf(after);
    for (const id of data.review_order.slice(start + 1)) if (wordById(id).doubtful) return id;
    return order.find((id) => id !== after) || null;
  }

  function goToNext() {
    const next = nextDoubtful(selected);
    if (next) {
      selectWord(next);
      return true;
    }
    say("No doubtful words left on this page.");
    el("next-page").focus();
    return false;
  }

  function saveWord() {
    const text = el("word-text").value.trim();
    const parts = text.split(/\s+/).filter(Boolean);
    if (parts.length === 2) {
      // Two words in one box: the box is cut in two, where the letters say.
      const id = selected;
      return act(() => send("POST", `/api/words/${id}/split/`, { texts: parts }), () => {
        selectWord(id);
        say(`Split into “${parts[0]}” and “${parts[1]}”.`);
      });
    }
    if (parts.length > 2) return say("Split a box into two words at a time, or correct the whole line.", true);
    return act(() => send("PATCH", `/api/words/${selected}/`, { text }), () => {
      const moved = goToNext();
      say(`Saved “${text}”.` + (moved ? "" : " No doubtful words left on this page."));
    });
  }

  function saveChar(ch, value) {
    const label = value.trim();
    if (label.length === 1) return act(() => send("PATCH", `/api/chars/${ch.id}/`, { text: label }));
    if (label.length === 2) return act(() => send("POST", `/api/chars/${ch.id}/split/`, { texts: [label[0], label[1]] }));
    say("A character box takes one letter (or two, to split it).", true);
  }

  el("word-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveWord();
  });
  el("word-text").addEventListener("keydown", (event) => {
    const word = wordById(selected);
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      if (word && event.target.value !== word.text) saveWord();
      else goToNext();
    } else if (event.key === "Escape") {
      event.target.value = word ? word.text : "";
      say("");
    }
  });
  el("word-not-text").addEventListener("click", () => {
    const word = wordById(selected);
    act(() => send("PATCH", `/api/words/${selected}/`, { not_text: !word.not_text }));
  });
  el("word-merge").addEventListener("click", () => {
    const word = wordById(selected);
    const next = word && nextWordInLine(word);
    if (!next) return;
    act(() => send("POST", `/api/words/${word.id}/merge/`, { other: next.id }), () => {
      selectWord(word.id);
      say(`Joined “${word.text}” and “${next.text}”.`);
    });
  });
  el("show-chars").addEventListener("change", renderBoxes);
  el("zoom-in").addEventListener("click", () => zoomAt(1.25));
  el("zoom-out").addEventListener("click", () => zoomAt(0.8));
  el("fit-width").addEventListener("click", fitWidth);
  el("fit-page").addEventListener("click", fitPage);
  el("draw-line").addEventListener("click", () => setDrawing(!drawing));

  // Shortcuts with Alt work while typing; without it, only when no field has the focus.
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement && document.activeElement.tagName);
    if (!event.altKey && (typing || event.ctrlKey || event.metaKey)) return;
    const key = event.key;
    const actions = {
      "+": () => zoomAt(1.25), "=": () => zoomAt(1.25), "-": () => zoomAt(0.8), "0": fitWidth, "9": fitPage,
      ArrowDown: () => goToLine(1), ArrowUp: () => goToLine(-1), l: () => setDrawing(!drawing),
      L: () => setDrawing(!drawing), Escape: () => setDrawing(false),
    };
    if (!event.altKey && (key === "ArrowDown" || key === "ArrowUp")) return; // the page's own scrolling
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    action();
  });
  window.addEventListener("resize", () => applyView());

  render();
  fitWidth();
  const start = () => {
    drawLineCrops();
    renderEditor();
  };
  if (scan.complete) start();
  else scan.addEventListener("load", start, { once: true });

  if (byLines) {
    const first = data.lines.find((l) => l.doubtful) || data.lines[0];
    if (first) selectLine(first.id);
  } else {
    const first = data.review_order.find((id) => wordById(id).doubtful);
    if (first) selectWord(first);
  }
})();
