// The review page: draws the boxes over the scan, lists the words least confident
// first, and sends corrections to the REST API. Every change re-reads the page's data
// from the server, so what is shown is always what is stored.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const SVG = "http://www.w3.org/2000/svg";
  const csrf = root.dataset.csrf;
  const dataUrl = root.dataset.dataUrl;
  const el = (id) => document.getElementById(id);
  let data = JSON.parse(el("review-data").textContent);
  let selected = null;

  const words = () => data.words;
  const wordById = (id) => data.words.find((w) => w.id === id);
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
      body: JSON.stringify(body),
    });
    const payload = await response.json().catch(() => ({}));
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
    render();
  }

  function rect(box, cls, stroke) {
    const r = document.createElementNS(SVG, "rect");
    ["x", "y", "width", "height"].forEach((name, i) => r.setAttribute(name, box[i]));
    r.setAttribute("class", cls);
    if (stroke) r.setAttribute("stroke", stroke);
    return r;
  }

  function renderBoxes() {
    const svg = el("boxes");
    svg.replaceChildren();
    const showChars = el("show-chars").checked;
    for (const line of data.lines) svg.appendChild(rect(line.bbox, "line"));
    for (const word of words()) {
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
      g.addEventListener("click", () => select(word.id));
      svg.appendChild(g);
    }
  }

  function wordChip(word) {
    const span = document.createElement("span");
    span.className = ["word", word.doubtful ? "doubtful" : "", word.corrected ? "corrected" : "",
      word.not_text ? "not-text" : "", word.id === selected ? "selected" : ""].join(" ");
    span.id = `word-${word.id}`;
    span.textContent = word.text || "∅";
    span.title = `confidence ${word.confidence.toFixed(2)}`;
    span.style.borderColor = colour(word.confidence);
    span.addEventListener("click", () => select(word.id));
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

  function renderEditor() {
    const editor = el("editor");
    const word = selected && wordById(selected);
    editor.hidden = !word;
    if (!word) return;
    el("editor-id").textContent = `${word.id}`;
    el("editor-confidence").textContent = word.corrected ? "confirmed" : `confidence ${word.confidence.toFixed(2)}`;
    el("editor-original").textContent = word.corrected && word.original_text ? `read as “${word.original_text}”` : "";
    el("word-not-text").textContent = word.not_text ? "It is text" : "Not text";
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

  function render() {
    renderBoxes();
    renderText();
    renderEditor();
  }

  function select(id) {
    selected = id;
    render();
    const word = wordById(id);
    const input = el("word-text");
    input.value = word ? word.text : "";
    input.focus();
    input.select();
    say("");
    const box = el(`box-${id}`);
    if (box && box.scrollIntoView) box.scrollIntoView({ block: "nearest", inline: "nearest" });
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
      select(next);
      return true;
    }
    say("No doubtful words left on this page.");
    el("next-page").focus();
    return false;
  }

  async function act(change, then) {
    try {
      await change();
      await reload();
      if (then) then();
      else select(selected);
    } catch (err) {
      say(err.message, true);
    }
  }

  function saveWord() {
    const text = el("word-text").value;
    return act(() => send("PATCH", `/api/words/${selected}/`, { text }), () => {
      const moved = goToNext();
      say(`Saved “${text.trim()}”.` + (moved ? "" : " No doubtful words left on this page."));
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
  el("show-chars").addEventListener("change", renderBoxes);

  render();
  const first = data.review_order.find((id) => wordById(id).doubtful);
  if (first) select(first);
})();
