// The chat page. Plain JS, no build step. Every piece of text from the server (answers,
// quotes, documents, titles) goes into the page through textContent / createTextNode only.
"use strict";

(function () {
  const KEY_STORAGE = "assistant.apiKey";
  const THEME_STORAGE = "assistant.theme";
  const STATUS_LABEL = { verified: "verified", conflict: "sources disagree", unverified: "unverified" };

  const $ = (id) => document.getElementById(id);
  const thread = $("thread");
  const scroller = $("scroller");
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
    retries: [],       // what to run again once an API key is entered
    opener: null,      // the control that opened the source pane, for focus on close
    conversations: [], // the listed conversations, newest first
    documents: [],     // the listed documents
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

  function messageOf(status, statusText, bodyText) {
    try {
      const body = JSON.parse(bodyText);
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return status + " " + (statusText || "error");
  }

  async function errorFrom(res) {
    return new HttpError(res.status, messageOf(res.status, res.statusText, await res.text()));
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

  // The thread stays pinned to its end while it is there: a new turn, a streamed piece or the
  // conversation bar appearing above it keeps the latest answer in view; scrolling up unpins.
  let pinned = true;
  function scrollToEnd() {
    pinned = true;
    scroller.scrollTop = scroller.scrollHeight;
  }
  scroller.addEventListener("scroll", () => {
    pinned = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  });
  if (window.ResizeObserver) {
    const keep = new ResizeObserver(() => { if (pinned) scroller.scrollTop = scroller.scrollHeight; });
    keep.observe(scroller);
    keep.observe(thread);
  }

  // -- the API key --------------------------------------------------------------------

  // A 401 shows one prompt (whatever number of requests hit it) and queues each request to
  // run again once a key is saved. The wording is the page's own: the server's message is for
  // API clients and names headers a person does not type.
  function needKey(err, retry) {
    if (!(err instanceof HttpError) || err.status !== 401) return false;
    if (retry) state.retries.push(retry);
    $("auth-message").textContent = localStorage.getItem(KEY_STORAGE)
      ? "The saved API key was not accepted. Enter another key to continue."
      : "This server needs an API key. Enter yours to continue.";
    if (authForm.hidden) {
      authForm.hidden = false;
      keyInput.focus();
    }
    return true;
  }

  authForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
    keyInput.value = "";
    authForm.hidden = true;
    const retries = state.retries;
    state.retries = [];
    input.focus();
    for (const retry of retries) retry();
  });

  // -- theme --------------------------------------------------------------------------

  const themeButton = $("theme-toggle");
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  function currentTheme() {
    const chosen = localStorage.getItem(THEME_STORAGE);
    if (chosen === "light" || chosen === "dark") return chosen;
    return systemDark.matches ? "dark" : "light";
  }

  function applyTheme() {
    const chosen = localStorage.getItem(THEME_STORAGE);
    if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
    else delete document.documentElement.dataset.theme;
    const dark = currentTheme() === "dark";
    themeButton.textContent = dark ? "Light theme" : "Dark theme";
    themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
    themeButton.setAttribute("aria-label", dark ? "Switch to the light theme"
                                                : "Switch to the dark theme");
  }

  themeButton.addEventListener("click", () => {
    localStorage.setItem(THEME_STORAGE, currentTheme() === "dark" ? "light" : "dark");
    applyTheme();
  });
  systemDark.addEventListener("change", applyTheme);

  // -- confirmation -------------------------------------------------------------------

  // Resolves true when the person confirms in the page's own dialog (not window.confirm,
  // which cannot be styled, themed or labelled).
  function confirmAction(title, message, verb) {
    const dialog = $("confirm-dialog");
    $("confirm-title").textContent = title;
    $("confirm-message").textContent = message;
    $("confirm-yes").textContent = verb;
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
      dialog.returnValue = "cancel";
      dialog.showModal();
      $("confirm-no").focus();
    });
  }

  async function download(path, fallbackName) {
    const res = await api(path, { raw: true });
    const disposition = res.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(await res.blob());
    const link = el("a", { href: url, download: match ? match[1] : fallbackName });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

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
    $("suggestions").hidden = true;
    setStatus("Searching the sources…");
    const body = { question };
    if (state.conversationId) body.conversation_id = state.conversationId;
    const view = addTurn(question);
    scrollToEnd();
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
      scrollToEnd();
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

  // -- suggested first questions ------------------------------------------------------

  async function showSuggestions() {
    const box = $("suggestions");
    let data;
    try {
      data = await api("/v1/suggestions?limit=4");
    } catch (err) {
      needKey(err, showSuggestions);
      return;
    }
    const list = $("suggestion-list");
    list.textContent = "";
    for (const s of data.suggestions || []) {
      list.appendChild(el("li", null, [el("button", {
        type: "button", className: "btn suggestion", title: "From " + s.title,
        onclick: () => { if (!state.busy) ask(s.question); },
      }, [s.question])]));
    }
    box.hidden = !list.childElementCount || thread.childElementCount > 0;
  }

  // -- conversations ------------------------------------------------------------------

  function newConversation() {
    state.conversationId = null;
    state.turns = 0;
    thread.textContent = "";
    closeSource();
    markCurrent();
    $("suggestions").hidden = !$("suggestion-list").childElementCount;
    setStatus("New conversation.");
    input.focus();
  }
  $("new-conversation").addEventListener("click", newConversation);

  function currentConversation() {
    return state.conversations.find((c) => c.id === state.conversationId) || null;
  }

  function markCurrent() {
    for (const b of document.querySelectorAll("#conversation-list button")) {
      b.setAttribute("aria-current", b.dataset.id === state.conversationId ? "true" : "false");
    }
    const current = currentConversation();
    $("conversation-bar").hidden = !state.conversationId;
    $("rename-form").hidden = true;
    $("conversation-title").hidden = false;
    $("conversation-title").textContent = current ? current.title : "This conversation";
  }

  function renderConversations() {
    const list = $("conversation-list");
    const query = $("conversation-search").value.trim().toLowerCase();
    list.textContent = "";
    for (const c of state.conversations) {
      if (query && !(c.title || "").toLowerCase().includes(query)) continue;
      const when = new Date(c.updated * 1000).toLocaleString();
      list.appendChild(el("li", null, [el("button", {
        type: "button", "data-id": c.id, title: when,
        onclick: () => loadConversation(c.id),
      }, [c.title || c.id])]));
    }
    const empty = $("conversation-empty");
    empty.textContent = state.conversations.length ? "No title matches." : "No conversations yet.";
    empty.hidden = list.childElementCount > 0;
    markCurrent();
  }
  $("conversation-search").addEventListener("input", renderConversations);

  async function refreshConversations() {
    try {
      state.conversations = (await api("/v1/conversations?limit=200")).conversations || [];
    } catch (err) {
      needKey(err, refreshConversations);
      return;
    }
    renderConversations();
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
    $("suggestions").hidden = true;
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
    scrollToEnd();
    if (window.matchMedia("(max-width: 900px)").matches) $("history").open = false;
    setStatus("Loaded a conversation of " + data.turns.length + " turn(s).");
    input.focus();
  }

  $("rename-conversation").addEventListener("click", () => {
    const current = currentConversation();
    $("rename-input").value = current ? current.title : "";
    $("conversation-title").hidden = true;
    $("rename-form").hidden = false;
    $("rename-input").select();
    $("rename-input").focus();
  });
  $("rename-cancel").addEventListener("click", () => {
    markCurrent();
    $("rename-conversation").focus();
  });
  $("rename-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = state.conversationId;
    const title = $("rename-input").value.trim();
    if (!id || !title) return;
    try {
      await api("/v1/conversations/" + encodeURIComponent(id),
                { method: "PATCH", body: { title } });
    } catch (err) {
      if (!needKey(err)) setStatus("Not renamed: " + err.message);
      return;
    }
    await refreshConversations();
    setStatus("Renamed.");
    $("rename-conversation").focus();
  });

  for (const [button, format, ext] of [["export-markdown", "markdown", "md"],
                                       ["export-json", "json", "json"]]) {
    $(button).addEventListener("click", async () => {
      const id = state.conversationId;
      if (!id) return;
      try {
        await download("/v1/conversations/" + encodeURIComponent(id) + "/export?format=" + format,
                       id + "." + ext);
        setStatus("Exported as " + (format === "json" ? "JSON" : "Markdown") + ".");
      } catch (err) {
        if (!needKey(err)) setStatus("Export failed: " + err.message);
      }
    });
  }

  $("delete-conversation").addEventListener("click", async () => {
    const id = state.conversationId;
    const current = currentConversation();
    if (!id) return;
    const title = current ? "“" + current.title + "”" : "this conversation";
    if (!(await confirmAction("Delete the conversation?",
                              "Delete " + title + " and all its answers? This cannot be undone.",
                              "Delete"))) return;
    try {
      await api("/v1/conversations/" + encodeURIComponent(id), { method: "DELETE" });
    } catch (err) {
      if (!needKey(err)) setStatus("Not deleted: " + err.message);
      return;
    }
    newConversation();
    await refreshConversations();
    setStatus("Conversation deleted.");
  });

  // -- documents ----------------------------------------------------------------------

  function documentMeta(d) {
    const parts = [];
    if (d.source) parts.push(d.source);
    if (d.published) parts.push(String(d.published).slice(0, 10));
    parts.push(d.chunks + (d.chunks === 1 ? " chunk" : " chunks"));
    return parts.join(" · ");
  }

  function renderDocuments() {
    const list = $("document-list");
    list.textContent = "";
    for (const d of state.documents) {
      list.appendChild(el("li", { className: "doc", "data-doc": d.id }, [
        el("div", { className: "doc-main" }, [
          el("button", { type: "button", className: "doc-open",
                         "aria-label": "Open the text of " + d.title,
                         onclick: (event) => openDocument(d, event.currentTarget) }, [d.title]),
          el("p", { className: "doc-meta", text: documentMeta(d) }),
        ]),
        el("button", { type: "button", className: "btn danger doc-delete",
                       "aria-label": "Delete " + d.title,
                       onclick: () => deleteDocument(d) }, ["Delete"]),
      ]));
    }
    $("document-count").textContent = "(" + state.documents.length + ")";
    $("document-empty").hidden = state.documents.length > 0;
  }

  async function refreshDocuments() {
    try {
      state.documents = (await api("/v1/documents")).documents || [];
    } catch (err) {
      if (needKey(err, refreshDocuments)) return;
      state.documents = [];  // 503: nothing indexed yet
    }
    renderDocuments();
  }

  function uploadStatus(text, isError) {
    const line = $("upload-status");
    line.textContent = text;
    line.classList.toggle("error", Boolean(isError));
  }

  // XMLHttpRequest, not fetch: only it reports upload progress.
  function upload(file) {
    const bar = $("upload-progress");
    const body = new FormData();
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/documents");
    const key = localStorage.getItem(KEY_STORAGE);
    if (key) xhr.setRequestHeader("Authorization", "Bearer " + key);
    bar.hidden = false;
    bar.value = 0;
    uploadStatus("Uploading " + file.name + "…");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round(100 * event.loaded / event.total);
      if (event.loaded === event.total) uploadStatus("Indexing " + file.name + "…");
    });
    xhr.addEventListener("load", async () => {
      bar.hidden = true;
      if (xhr.status >= 200 && xhr.status < 300) {
        const result = JSON.parse(xhr.responseText);
        await refreshDocuments();
        uploadStatus(result.changed ? "Added " + file.name + " as “" + result.doc_id + "”."
                                    : file.name + " was already indexed, unchanged.");
        showSuggestions();
        return;
      }
      const message = messageOf(xhr.status, xhr.statusText, xhr.responseText);
      if (needKey(new HttpError(xhr.status, message), () => upload(file))) {
        uploadStatus("");
        return;
      }
      uploadStatus("Not uploaded: " + message, true);
    });
    xhr.addEventListener("error", () => {
      bar.hidden = true;
      uploadStatus("Not uploaded: the server could not be reached.", true);
    });
    xhr.send(body);
  }

  const dropzone = $("dropzone");
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    if (file) upload(file);
    event.target.value = "";
  });
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropzone.classList.add("over");
  });
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) upload(file);
  });

  async function deleteDocument(d) {
    if (!(await confirmAction("Delete the document?",
                              "Delete “" + d.title + "” from the index? Answers will no longer " +
                              "cite it.", "Delete"))) return;
    uploadStatus("Deleting “" + d.title + "”…");
    try {
      await api("/v1/documents/" + encodeURIComponent(d.id), { method: "DELETE" });
    } catch (err) {
      if (!needKey(err, () => deleteDocument(d))) uploadStatus("Not deleted: " + err.message, true);
      else uploadStatus("");
      return;
    }
    await refreshDocuments();
    uploadStatus("Deleted “" + d.title + "”.");  // once the list no longer shows it
    showSuggestions();
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
    if (event.key === "Escape" && !pane.hidden && !$("confirm-dialog").open) closeSource();
  });

  function showPane(title, opener) {
    for (const chip of document.querySelectorAll(".cite[aria-expanded]")) {
      chip.removeAttribute("aria-expanded");
    }
    state.opener = opener || null;
    if (opener && opener.classList.contains("cite")) opener.setAttribute("aria-expanded", "true");
    pane.hidden = false;
    layout.classList.add("with-source");
    $("source-title").textContent = title;
    $("source-meta").textContent = "Loading…";
    $("source-warning").hidden = true;
    $("source-text").textContent = "";
  }

  function showMeta(meta) {
    const parts = [];
    if (meta.source) parts.push(meta.source);
    if (meta.published) parts.push(String(meta.published).slice(0, 10));
    $("source-meta").textContent = parts.join(" · ");
    if (meta.url && /^https?:\/\//i.test(meta.url)) {
      $("source-meta").appendChild(document.createTextNode(parts.length ? " · " : ""));
      $("source-meta").appendChild(el("a", { href: meta.url, rel: "noopener noreferrer",
                                            target: "_blank", text: "original" }));
    }
  }

  // The document's stored text and metadata, or null (the failure is shown in the pane).
  async function fetchDocument(docId, again) {
    const docPath = "/v1/documents/" + encodeURIComponent(docId);
    try {
      const [textRes, meta] = await Promise.all([api(docPath + "/text", { raw: true }),
                                                 api(docPath)]);
      return { text: await textRes.text(), meta };
    } catch (err) {
      if (!needKey(err, again)) {
        $("source-meta").textContent = "Could not load the source: " + err.message;
      }
      return null;
    }
  }

  async function openDocument(d, opener) {
    showPane(d.title || d.id, opener);
    const loaded = await fetchDocument(d.id, () => openDocument(d, opener));
    if (!loaded) return;
    $("source-title").textContent = loaded.meta.title || d.id;
    showMeta(loaded.meta);
    $("source-text").textContent = loaded.text;
    $("source-text").scrollTop = 0;
    $("source-title").focus({ preventScroll: true });
  }

  async function openSource(citation, opener) {
    const textBox = $("source-text");
    showPane(citation.title || citation.doc_id, opener);
    const loaded = await fetchDocument(citation.doc_id, () => openSource(citation, opener));
    if (!loaded) return;
    const { text, meta } = loaded;
    $("source-title").textContent = meta.title || citation.title || citation.doc_id;
    showMeta(meta);
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
      $("source-warning").textContent =
        "The document changed since this answer: the quote is not at its offsets.";
      $("source-warning").hidden = false;
    }
    mark.scrollIntoView({ block: "center" });
    $("source-title").focus({ preventScroll: true });
  }

  // -- start --------------------------------------------------------------------------

  applyTheme();
  refreshConversations();
  refreshDocuments();
  showSuggestions();
  if (window.matchMedia("(min-width: 901px)").matches) {
    $("history").open = true;
    $("documents").open = true;
  }
  window.assistantUI = { state };  // for debugging and tests; holds no secrets
})();
