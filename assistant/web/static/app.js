// The chat page. Plain JS, no build step. Every piece of text from the server (answers,
// quotes, documents, titles) goes into the page through textContent / createTextNode only.
"use strict";

(function () {
  const KEY_STORAGE = "assistant.apiKey";
  const STATUS_LABEL = { verified: "verified", conflict: "sources disagree", unverified: "unverified" };

  const $ = (id) => document.getElementById(id);
  const thread = $("thread");
  const form = $("ask-form");
  const input = $("question");
  const sendButton = $("send");
  const statusLine = $("status");
  const authForm = $("auth-form");
  const keyInput = $("api-key");
  const pane = $("source-pane");
  const layout = document.querySelector(".layout");

  const state = {
    conversationId: null,
    turns: 0,          // turns in the current conversation (the next one is turns + 1)
    busy: false,
    retry: null,       // what to run again once an API key is entered
    opener: null,      // the chip that opened the source pane, for focus on close
  };

  // -- helpers ------------------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "className") node.className = v;
        else if (k === "text") node.textContent = v;
        else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const child of children || []) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function headers(json) {
    const h = {};
    if (json) h["Content-Type"] = "application/json";
    const key = localStorage.getItem(KEY_STORAGE);
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  }

  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function errorFrom(res) {
    let message = res.status + " " + res.statusText;
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON */ }
    return new HttpError(res.status, message);
  }

  async function api(path, options) {
    const opts = options || {};
    const res = await fetch(path, {
      method: opts.method || "GET",
      headers: headers(opts.body !== undefined),
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    if (!res.ok) throw await errorFrom(res);
    if (opts.raw) return res;
    if (res.status === 204) return null;
    return res.json();
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function needKey(err, retry) {
    if (!(err instanceof HttpError) || err.status !== 401) return false;
    state.retry = retry;
    $("auth-message").textContent = localStorage.getItem(KEY_STORAGE)
      ? "The saved API key was refused: " + err.message
      : "This server needs an API key. " + err.message;
    authForm.hidden = false;
    keyInput.focus();
    return true;
  }

  authForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
    keyInput.value = "";
    authForm.hidden = true;
    const retry = state.retry;
    state.retry = null;
    input.focus();
    if (retry) retry();
  });

  // -- rendering an answer ------------------------------------------------------------

  // Spans of the answer to decorate: [n] markers and the numbers the server checked.
  function decorations(text, numbers) {
    const spans = [];
    const re = /\[(\d+)\]/g;
    let m;
    while ((m = re.exec(text)) !== null) {
      spans.push({ start: m.index, end: m.index + m[0].length, kind: "cite", id: Number(m[1]) });
    }
    const overlaps = (s, e) => spans.some((x) => s < x.end && x.start < e);
    for (const number of numbers || []) {
      if (!number.text) continue;
      let from = 0;
      for (;;) {
        const at = text.indexOf(number.text, from);
        if (at < 0) break;
        const end = at + number.text.length;
        if (!overlaps(at, end)) spans.push({ start: at, end, kind: "num", number });
        from = end;
      }
    }
    spans.sort((a, b) => a.start - b.start);
    return spans;
  }

  function citationChip(id, citation) {
    const title = citation ? citation.title : "";
    return el("button", {
      type: "button", className: "cite", "data-citation": id,
      "aria-label": "Source " + id + (title ? ": " + title : ""),
      title: citation ? "“" + citation.quote + "” — " + title : "Source " + id,
      onclick: (event) => { if (citation) openSource(citation, event.currentTarget); },
    }, [String(id)]);
  }

  function numberSpan(text, number) {
    const status = STATUS_LABEL[number.status] ? number.status : "unverified";
    const label = STATUS_LABEL[status];
    const fact = number.note ? label + ": " + number.note : label;
    return el("span", { className: "num num-" + status, title: fact, "data-status": status,
                        tabindex: "0" },
              [text, el("span", { className: "visually-hidden", text: " (" + label + ")" })]);
  }

  function renderAnswerText(target, data) {
    target.textContent = "";
    const text = data.answer || "";
    const byId = new Map((data.citations || []).map((c) => [c.id, c]));
    let pos = 0;
    for (const span of decorations(text, data.numbers)) {
      if (span.start < pos) continue;
      if (span.start > pos) target.appendChild(document.createTextNode(text.slice(pos, span.start)));
      const piece = text.slice(span.start, span.end);
      target.appendChild(span.kind === "cite" ? citationChip(span.id, byId.get(span.id))
                                              : numberSpan(piece, span.number));
      pos = span.end;
    }
    if (pos < text.length) target.appendChild(document.createTextNode(text.slice(pos)));
  }

  function sourceList(items, className, heading) {
    if (!items || !items.length) return null;
    const list = el("ol", { className: "sources" });
    for (const item of items) {
      const open = el("button", {
        type: "button", className: "cite", "aria-label": "Open " + item.title,
        onclick: (event) => openSource(item, event.currentTarget),
      }, [item.id !== undefined ? String(item.id) : "↗"]);
      list.appendChild(el("li", null, [open, " ", el("strong", { text: item.title }), " ",
                                       el("span", { className: "quote", text: "“" + item.quote + "”" })]));
    }
    if (!heading) return list;
    return el("div", { className }, [el("h3", { text: heading }), list]);
  }

  function copyText(data) {
    const lines = [data.answer || ""];
    if (data.citations && data.citations.length) {
      lines.push("");
      for (const c of data.citations) lines.push("[" + c.id + "] " + c.title + ": “" + c.quote + "”");
    }
    return lines.join("\n");
  }

  async function copy(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (_) { /* fall back below */ }
    const area = el("textarea", { readonly: true, "aria-hidden": "true" });
    area.value = text;
    area.style.position = "fixed";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
    area.remove();
    return ok;
  }

  function actions(data, turn, conversationId) {
    const note = el("span", { className: "note", role: "status" });
    const copyButton = el("button", {
      type: "button", className: "btn copy", "aria-label": "Copy the answer with its quotes",
      onclick: async () => {
        note.textContent = (await copy(copyText(data))) ? "Copied." : "Copy failed.";
      },
    }, ["Copy"]);
    const vote = (rating) => el("button", {
      type: "button", className: "btn vote vote-" + rating, "aria-pressed": "false",
      "aria-label": rating === "up" ? "Good answer" : "Bad answer",
      title: rating === "up" ? "Good answer" : "Bad answer",
      onclick: async (event) => {
        const button = event.currentTarget;
        const send = async () => {
          try {
            await api("/v1/feedback", { method: "POST",
              body: { conversation_id: conversationId, turn, rating } });
            for (const b of button.parentNode.querySelectorAll(".vote")) {
              b.setAttribute("aria-pressed", b === button ? "true" : "false");
            }
            note.textContent = "Thanks for the feedback.";
          } catch (err) {
            if (!needKey(err, send)) note.textContent = "Feedback not saved: " + err.message;
          }
        };
        await send();
      },
    }, [rating === "up" ? "▲ Helpful" : "▼ Not helpful"]);
    return el("div", { className: "actions" }, [copyButton, vote("up"), vote("down"), note]);
  }

  // A turn: the question, then an answer box filled while streaming and finished by done().
  function addTurn(question) {
    const questionNode = el("p", { className: "question", text: question });
    const searched = el("p", { className: "searched", hidden: true });
    const textNode = el("p", { className: "answer-text" });
    const answerBox = el("div", { className: "answer", "aria-busy": "true" }, [textNode]);
    const article = el("article", { className: "turn" }, [questionNode, searched, answerBox]);
    thread.appendChild(article);
    article.scrollIntoView({ block: "end" });
    return {
      article,
      delta(piece) { textNode.appendChild(document.createTextNode(piece)); },
      reset() { textNode.textContent = ""; },
      searched(standalone) {
        if (standalone && standalone.trim().toLowerCase() !== question.trim().toLowerCase()) {
          searched.textContent = "searched: " + standalone;
          searched.hidden = false;
        }
      },
      error(message) {
        answerBox.setAttribute("aria-busy", "false");
        textNode.textContent = "";
        textNode.appendChild(el("span", { className: "error", text: "Error: " + message }));
      },
      done(data, turn) {
        this.searched(data.standalone_question);
        answerBox.setAttribute("aria-busy", "false");
        answerBox.textContent = "";
        const text = el("p", { className: "answer-text" });
        renderAnswerText(text, data);
        if (data.refused) {
          answerBox.classList.add("refusal");
          answerBox.appendChild(el("p", { className: "refusal-label" }, [
            el("span", { className: "refusal-icon", "aria-hidden": "true", text: "i" }),
            "No answer from the sources",
          ]));
          answerBox.appendChild(text);
          const related = sourceList(data.related, "related", "Related passages (not an answer)");
          if (related) answerBox.appendChild(related);
        } else {
          answerBox.appendChild(text);
          if (data.conflict) {
            answerBox.appendChild(el("p", { className: "conflict-note",
              text: "⚠ The sources disagree on this; each value is quoted." }));
          }
          const list = sourceList(data.citations);
          if (list) answerBox.appendChild(list);
        }
        answerBox.appendChild(actions(data, turn, data.conversation_id));
      },
    };
  }

  // -- asking -------------------------------------------------------------------------

  function parseEvent(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return null;
    return { event, data: JSON.parse(data.join("\n")) };
  }

  // Streams the answer into `view`; resolves with the whole answer (the done event).
  async function askStream(body, view) {
    const res = await fetch("/v1/ask/stream", {
      method: "POST", headers: Object.assign(headers(true), { Accept: "text/event-stream" }),
      body: JSON.stringify(body),
    });
    if (!res.ok) throw await errorFrom(res);
    if (!res.body || !res.body.getReader) throw new Error("no stream");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let result = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const message = parseEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (!message) continue;
        const d = message.data;
        if (message.event === "retrieval") view.searched(d.standalone_question);
        else if (message.event === "answer") view.delta(d.delta || "");
        else if (message.event === "done") result = d;
        else if (message.event === "error") {
          throw new HttpError(502, (d.error && d.error.message) || "the answer failed");
        }
      }
      if (done) break;
    }
    if (!result) throw new Error("the stream ended early");
    return result;
  }

  async function ask(question) {
    if (state.busy) return;
    state.busy = true;
    sendButton.disabled = true;
    setStatus("Searching the sources…");
    const body = { question };
    if (state.conversationId) body.conversation_id = state.conversationId;
    const view = addTurn(question);
    let data = null;
    try {
      try {
        data = await askStream(body, view);
      } catch (err) {
        if (err instanceof HttpError) throw err;   // the server answered: no second try
        view.reset();                               // streaming failed: ask plainly
        data = await api("/v1/ask", { method: "POST", body });
      }
      const turn = data.conversation_id === state.conversationId ? state.turns + 1 : 1;
      state.conversationId = data.conversation_id;
      state.turns = turn;
      view.done(data, turn);
      setStatus(data.refused ? "No answer from the sources." : "Answered.");
      refreshConversations();
    } catch (err) {
      view.article.remove();
      if (!needKey(err, () => ask(question))) {
        const failed = addTurn(question);
        failed.error(err.message || String(err));
        setStatus("The question failed.");
      } else {
        setStatus("");
      }
      if (!data) input.value = input.value || question;
    } finally {
      state.busy = false;
      sendButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || state.busy) return;
    input.value = "";
    ask(question);
    input.focus();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // -- conversations ------------------------------------------------------------------

  function newConversation() {
    state.conversationId = null;
    state.turns = 0;
    thread.textContent = "";
    closeSource();
    markCurrent();
    setStatus("New conversation.");
    input.focus();
  }
  $("new-conversation").addEventListener("click", newConversation);

  function markCurrent() {
    for (const b of document.querySelectorAll("#conversation-list button")) {
      b.setAttribute("aria-current", b.dataset.id === state.conversationId ? "true" : "false");
    }
  }

  async function refreshConversations() {
    let data;
    try {
      data = await api("/v1/conversations?limit=50");
    } catch (err) {
      needKey(err, refreshConversations);
      return;
    }
    const list = $("conversation-list");
    list.textContent = "";
    for (const c of data.conversations || []) {
      const when = new Date(c.updated * 1000).toLocaleString();
      list.appendChild(el("li", null, [el("button", {
        type: "button", "data-id": c.id, title: when,
        onclick: () => loadConversation(c.id),
      }, [c.title || c.id])]));
    }
    $("conversation-empty").hidden = list.childElementCount > 0;
    markCurrent();
  }

  async function loadConversation(id) {
    let data;
    try {
      data = await api("/v1/conversations/" + encodeURIComponent(id));
    } catch (err) {
      if (!needKey(err, () => loadConversation(id))) setStatus("Could not load it: " + err.message);
      return;
    }
    thread.textContent = "";
    closeSource();
    state.conversationId = data.id;
    state.turns = 0;
    for (const t of data.turns) {
      const view = addTurn(t.question);
      view.done(Object.assign({}, t.answer, { conversation_id: data.id,
                                               standalone_question: t.standalone_question }), t.n);
      state.turns = Math.max(state.turns, t.n);
    }
    markCurrent();
    if (window.matchMedia("(max-width: 900px)").matches) $("history").open = false;
    setStatus("Loaded a conversation of " + data.turns.length + " turn(s).");
    input.focus();
  }

  // -- the source pane ----------------------------------------------------------------

  function closeSource() {
    if (pane.hidden) return;
    pane.hidden = true;
    layout.classList.remove("with-source");
    for (const chip of document.querySelectorAll(".cite[aria-expanded]")) {
      chip.removeAttribute("aria-expanded");
    }
    if (state.opener && document.contains(state.opener)) state.opener.focus();
    state.opener = null;
  }
  $("source-close").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !pane.hidden) closeSource();
  });

  async function openSource(citation, opener) {
    const docPath = "/v1/documents/" + encodeURIComponent(citation.doc_id);
    const textBox = $("source-text");
    const warning = $("source-warning");
    for (const chip of document.querySelectorAll(".cite[aria-expanded]")) {
      chip.removeAttribute("aria-expanded");
    }
    state.opener = opener || null;
    if (opener) opener.setAttribute("aria-expanded", "true");
    pane.hidden = false;
    layout.classList.add("with-source");
    $("source-title").textContent = citation.title || citation.doc_id;
    $("source-meta").textContent = "Loading…";
    warning.hidden = true;
    textBox.textContent = "";
    let text;
    let meta;
    try {
      const [textRes, metaRes] = await Promise.all([
        api(docPath + "/text", { raw: true }), api(docPath),
      ]);
      text = await textRes.text();
      meta = metaRes;
    } catch (err) {
      if (!needKey(err, () => openSource(citation, opener))) {
        $("source-meta").textContent = "Could not load the source: " + err.message;
      }
      return;
    }
    $("source-title").textContent = meta.title || citation.title || citation.doc_id;
    const parts = [];
    if (meta.source) parts.push(meta.source);
    if (meta.publisher && meta.publisher !== meta.source) parts.push(meta.publisher);
    if (meta.published) parts.push(String(meta.published).slice(0, 10));
    $("source-meta").textContent = parts.join(" · ");
    if (meta.url && /^https?:\/\//i.test(meta.url)) {
      $("source-meta").appendChild(document.createTextNode(" · "));
      $("source-meta").appendChild(el("a", { href: meta.url, rel: "noopener noreferrer",
                                            target: "_blank", text: "original" }));
    }
    // Offsets count Unicode code points: slice an array of code points, not UTF-16 units.
    const points = Array.from(text);
    const start = Math.max(0, Math.min(citation.start, points.length));
    const end = Math.max(start, Math.min(citation.end, points.length));
    const quote = points.slice(start, end).join("");
    const mark = el("mark", { id: "source-mark" }, [quote]);
    textBox.appendChild(document.createTextNode(points.slice(0, start).join("")));
    textBox.appendChild(mark);
    textBox.appendChild(document.createTextNode(points.slice(end).join("")));
    if (citation.quote !== undefined && quote !== citation.quote) {
      warning.textContent = "The document changed since this answer: the quote is not at its offsets.";
      warning.hidden = false;
    }
    mark.scrollIntoView({ block: "center" });
    $("source-title").focus({ preventScroll: true });
  }

  // -- start --------------------------------------------------------------------------

  refreshConversations();
  if (window.matchMedia("(min-width: 901px)").matches) $("history").open = true;
  window.assistantUI = { state };  // for debugging and tests; holds no secrets
})();
