// The playground page: long-polls /state for the person you are, and posts what you do to /ui/…
// Message, modal and Home HTML comes rendered (and escaped) by playground/blockkit/ on the server.
"use strict";

const $ = (selector) => document.querySelector(selector);
const COLORS = ["#e8912d", "#2eb67d", "#4a154b", "#1264a3", "#e01e5a", "#36c5f0", "#9f6a00"];
const VIEWER_KEY = "baton-playground-viewer";
// This page's own id, new at every load: a modal shows only on the page it was opened on, so one left open
// before a reload, or in a browser session since closed, does not come back (as in Slack).
const PAGE = (window.crypto && crypto.randomUUID)
  ? crypto.randomUUID()
  : `p${Date.now()}${Math.random()}`.replace(".", "");

let state = null;
let version = -1;
let viewer = localStorage.getItem(VIEWER_KEY) || "";
let conv = "support";          // "support", "dm" or "home"
let polling = null;            // AbortController of the long-poll in flight
let rendered = {messages: "", home: "", modalHtml: "", modalId: ""};
let highlightTs = null;

// ---------------------------------------------------------------- talking to the server

async function post(action, body, {quiet = false} = {}) {
  const response = await fetch(`/ui/${action}`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({as: viewer, page: PAGE, ...body}),
  });
  let answer = {};
  try { answer = await response.json(); } catch (_) { answer = {ok: false, error: `HTTP ${response.status}`}; }
  if (!answer.ok && !quiet) toast(answer.error || "Something went wrong");
  return answer;
}

function toast(text) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

async function pollForever() {
  for (;;) {
    polling = new AbortController();
    try {
      const query = new URLSearchParams({as: viewer, since: String(version), page: PAGE});
      const response = await fetch(`/state?${query}`, {signal: polling.signal, cache: "no-store"});
      const answer = await response.json();
      if (answer.ok) {
        apply(answer);
      } else {
        viewer = "";
        version = -1;
      }
    } catch (error) {
      if (error.name !== "AbortError") await new Promise((done) => setTimeout(done, 1000));
    }
  }
}

function refresh() {
  version = -1;
  if (polling) polling.abort();
}

// ---------------------------------------------------------------- rendering state

function convId() {
  if (!state) return null;
  if (conv === "support") return state.conversations[0].id;
  return state.conversations[1].id;
}

function apply(next) {
  state = next;
  version = next.version;
  if (viewer !== next.viewer) {
    viewer = next.viewer;
    localStorage.setItem(VIEWER_KEY, viewer);
  }
  document.body.classList.toggle("forwarding", next.forwarding);
  renderViewerSelect();
  renderClock();
  renderSidebar();
  renderPane();
  renderModal();
}

function city(tz) {
  return tz.split("/").pop().replace(/_/g, " ");
}

function renderViewerSelect() {
  const select = $("#viewer");
  const options = state.people.map((p, i) =>
    `${p.id}|${p.name} — ${i === 0 ? "manager" : "agent"}, ${city(p.tz)}`).join("\n");
  if (select.dataset.options !== options) {
    select.replaceChildren(...state.people.map((p, i) => {
      const option = document.createElement("option");
      option.value = p.id;
      option.textContent = `${p.name} — ${i === 0 ? "manager" : "agent"}, ${city(p.tz)}`;
      return option;
    }));
    select.dataset.options = options;
  }
  select.value = viewer;
}

function renderClock() {
  $("#clock-label").textContent = state.now_label;
  $("#clock-tz").textContent = `in ${city(state.tz)}`;
  $("#clock-tz").title = state.tz;
  const input = $("#clock-at");
  if (document.activeElement !== input && !input.dataset.touched) input.value = state.now_local;
  input.min = state.now_local;
  document.querySelectorAll(".clock-button").forEach((b) => { b.disabled = state.forwarding; });
  $("#people-times").replaceChildren(...state.people.map((p) => {
    const line = document.createElement("div");
    line.className = "person-time";
    line.dataset.id = p.id;
    line.textContent = `${p.name}: ${p.local} in ${city(p.tz)}`;
    if (p.status) {
      const status = document.createElement("span");
      status.className = "person-status" + (p.status.away ? " away" : "");
      status.textContent = ` ${p.status.char} ${p.status.text}`.trimEnd();
      status.title = [
        p.status.text || `:${p.status.emoji}:`,
        p.status.until_label ? `until ${p.status.until_label} (${city(p.tz)})` : "",
        p.status.away ? "Baton counts this as away" : "",
      ].filter(Boolean).join(" · ");
      line.append(status);
    }
    return line;
  }));
}

function sidebarItem(key, label, icon) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "sidebar-item" + (conv === key || (key === "dm" && conv === "home") ? " active" : "");
  button.dataset.conv = key;
  if (icon) {
    const dot = document.createElement("span");
    dot.className = "app-dot";
    dot.textContent = icon;
    button.append(dot);
  }
  button.append(label);
  li.append(button);
  return li;
}

function renderSidebar() {
  $("#channel-list").replaceChildren(sidebarItem("support", `# ${state.conversations[0].name}`));
  $("#app-list").replaceChildren(sidebarItem("dm", "Baton", "B"));
}

function avatar(entry) {
  const div = document.createElement("div");
  div.className = "avatar";
  if (entry.user === "USLACKBOT") {
    div.style.background = "#1264a3";
    div.textContent = "S";
  } else if (entry.is_bot) {
    div.style.background = "#ecb22e";
    div.style.color = "#350d36";
    div.textContent = "B";
  } else {
    const index = state.people.findIndex((p) => p.id === entry.user);
    div.style.background = COLORS[(index < 0 ? 0 : index) % COLORS.length];
    div.textContent = (entry.user_name || "?").slice(0, 1).toUpperCase();
  }
  return div;
}

function messageNode(entry) {
  const node = document.createElement("div");
  node.className = "msg" + (entry.kind === "ephemeral" ? " msg-ephemeral" : "");
  node.dataset.ts = entry.ts;
  node.dataset.kind = entry.kind;
  if (entry.id) node.dataset.ephemeralId = entry.id;
  if (entry.ts === highlightTs) node.classList.add("highlight");
  const main = document.createElement("div");
  main.className = "msg-main";
  const head = document.createElement("div");
  head.className = "msg-head";
  const name = document.createElement("span");
  name.className = "msg-name";
  name.textContent = entry.user_name;
  head.append(name);
  if (entry.is_bot) {
    const badge = document.createElement("span");
    badge.className = "app-badge";
    badge.textContent = "APP";
    head.append(badge);
  }
  const time = document.createElement("span");
  time.className = "msg-time";
  time.textContent = entry.time;
  head.append(time);
  if (entry.edited) {
    const edited = document.createElement("span");
    edited.className = "msg-edited";
    edited.textContent = "(edited)";
    head.append(edited);
  }
  const body = document.createElement("div");
  body.className = "msg-body";
  body.innerHTML = entry.html;  // rendered and escaped by playground/blockkit/
  main.append(head, body);
  if (entry.kind === "ephemeral") {
    const note = document.createElement("div");
    note.className = "ephemeral-note";
    note.append("👁 Only visible to you · ");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "dismiss";
    dismiss.textContent = "Dismiss message";
    note.append(dismiss);
    main.append(note);
  } else {
    const reactions = document.createElement("div");
    reactions.className = "reactions";
    for (const r of entry.reactions) {
      const pill = document.createElement("button");
      pill.type = "button";
      pill.className = "reaction" + (r.mine ? " mine" : "");
      pill.dataset.reaction = r.name;
      pill.title = `${r.who} reacted with :${r.name}:`;
      pill.textContent = `${r.char} ${r.count}`;
      reactions.append(pill);
    }
    main.append(reactions);
    const tools = document.createElement("div");
    tools.className = "msg-tools";
    const react = document.createElement("button");
    react.type = "button";
    react.className = "tool tool-react";
    react.title = "Add reaction";
    react.textContent = "☺+";
    tools.append(react);
    if (!entry.is_bot && state.shortcuts.length) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "tool tool-more";
      more.title = "More actions";
      more.textContent = "⋯";
      tools.append(more);
    }
    node.append(tools);
  }
  node.prepend(avatar(entry), main);
  return node;
}

function renderMessages() {
  const box = $("#messages");
  const entries = state.messages[convId()] || [];
  const signature = convId() + JSON.stringify(entries) + highlightTs;
  if (signature === rendered.messages) return;
  rendered.messages = signature;
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const nodes = [];
  let day = null;
  for (const entry of entries) {
    if (entry.day !== day) {
      day = entry.day;
      const divider = document.createElement("div");
      divider.className = "day";
      const label = document.createElement("span");
      label.textContent = day;
      divider.append(label);
      nodes.push(divider);
    }
    nodes.push(messageNode(entry));
  }
  if (!nodes.length) {
    const empty = document.createElement("div");
    empty.className = "empty";
    empty.textContent = conv === "dm"
      ? "This is your DM with Baton: tasks, check-ins and warnings for you arrive here."
      : "No messages yet.";
    nodes.push(empty);
  }
  box.replaceChildren(...nodes);
  const marked = highlightTs && box.querySelector(`.msg[data-ts="${CSS.escape(highlightTs)}"]`);
  if (marked) marked.scrollIntoView({block: "center"});
  else if (nearBottom || !renderMessages.done) box.scrollTop = box.scrollHeight;
  renderMessages.done = true;
}

function renderPane() {
  const isSupport = conv === "support";
  $("#pane-title").textContent = isSupport ? `# ${state.conversations[0].name}` : "Baton";
  $("#pane-sub").textContent = isSupport
    ? "The team channel: celebrations, kudos and the weekly recognition land here"
    : (conv === "home" ? "Your tasks, as Baton's Home tab shows them" : "Your DM with the Baton app");
  $("#pane-tabs").hidden = isSupport;
  document.querySelectorAll(".pane-tab").forEach((t) => t.classList.toggle("active", t.dataset.conv === conv));
  $("#messages").hidden = conv === "home";
  $("#composer").hidden = conv === "home";
  $("#home").hidden = conv !== "home";
  $("#composer-text").placeholder = isSupport
    ? "Message #support, or try /task @Alice Call the customer back by tomorrow"
    : "Message Baton, or try /task list";
  if (conv === "home") {
    const html = state.home ? state.home.html : "";
    if (html !== rendered.home) {
      rendered.home = html;
      const home = $("#home");
      if (state.home) {
        home.innerHTML = html;  // rendered and escaped by playground/blockkit/
        home.dataset.viewId = state.home.view_id;
      } else {
        home.textContent = "Opening the Home tab…";
      }
    }
  } else {
    renderMessages();
  }
}

function renderModal() {
  const overlay = $("#modal-overlay");
  const modal = state.modal;
  if (!modal) {
    overlay.hidden = true;
    rendered.modalId = rendered.modalHtml = "";
    return;
  }
  const body = $("#modal-body");
  if (modal.view_id !== rendered.modalId || modal.html !== rendered.modalHtml) {
    body.innerHTML = modal.html;  // rendered and escaped by playground/blockkit/
    body.dataset.viewId = modal.view_id;
    rendered.modalId = modal.view_id;
    rendered.modalHtml = modal.html;
    $("#modal-problem").hidden = true;
    const form = body.querySelector("form");
    const submit = form ? form.dataset.submit : "";
    $("#modal-submit").textContent = submit || "Submit";
    $("#modal-submit").hidden = !submit;
    $("#modal-close").textContent = (form && form.dataset.close) || "Cancel";
    overlay.hidden = false;
    const first = body.querySelector("input, textarea, select");
    if (first) first.focus();
  }
  body.querySelectorAll(".bk-input").forEach((input) => {
    const error = input.querySelector(".bk-input-error");
    const text = modal.errors[input.dataset.blockId];
    if (error) {
      error.textContent = text || "";
      error.hidden = !text;
    }
  });
}

// ---------------------------------------------------------------- what you do

function collectValues(form) {
  const values = {};
  form.querySelectorAll(".bk-input").forEach((div) => {
    const name = `${div.dataset.blockId}/${div.dataset.actionId}`;
    const picked = [];
    div.querySelectorAll("[name]").forEach((control) => {
      if (control.name !== name) return;
      if (control.type === "checkbox" || control.type === "radio") {
        if (control.checked) picked.push(control.value);
      } else if (control.tagName === "SELECT" && control.multiple) {
        for (const option of control.selectedOptions) picked.push(option.value);
      } else {
        picked.push(control.value);
      }
    });
    const many = ["checkboxes", "multi_users_select", "multi_static_select"].includes(div.dataset.type);
    values[name] = many ? picked : (picked[0] || "");
  });
  return values;
}

async function submitModal() {
  const body = $("#modal-body");
  const form = body.querySelector("form");
  const button = $("#modal-submit");
  button.disabled = true;
  try {
    const answer = await post("submit", {view_id: body.dataset.viewId, values: form ? collectValues(form) : {}});
    const problem = $("#modal-problem");
    problem.hidden = !answer.problem;
    problem.textContent = answer.problem || "";
  } finally {
    button.disabled = false;
  }
}

function clickTarget(button) {
  const modal = button.closest("#modal-body");
  if (modal) return {view_id: modal.dataset.viewId};
  const home = button.closest("#home");
  if (home) return {view_id: home.dataset.viewId};
  const message = button.closest(".msg");
  if (!message) return null;
  if (message.dataset.kind === "ephemeral") return {ephemeral_id: message.dataset.ephemeralId};
  return {channel: convId(), ts: message.dataset.ts};
}

async function clickElement(element, value) {
  const target = clickTarget(element);
  if (!target) return;
  if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
  if (element.dataset.url) window.open(element.dataset.url, "_blank", "noopener");
  const body = {...target, action_id: element.dataset.actionId, block_id: element.dataset.blockId};
  if (value !== undefined) body.value = value;
  element.disabled = true;
  try {
    await post("click", body);
  } finally {
    element.disabled = false;
  }
}

function openPicker(anchor, items) {
  const picker = $("#picker");
  picker.replaceChildren(...items);
  const box = anchor.getBoundingClientRect();
  picker.style.top = `${Math.min(box.bottom + 4, window.innerHeight - 140)}px`;
  picker.style.left = `${Math.max(8, box.right - 260)}px`;
  picker.hidden = false;
}

function reactionPicker(anchor, ts) {
  openPicker(anchor, state.reactions.map((r) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.reaction = r.name;
    button.title = `:${r.name}:`;
    button.textContent = r.char;
    button.addEventListener("click", () => {
      $("#picker").hidden = true;
      post("react", {channel: convId(), ts, name: r.name});
    });
    return button;
  }));
}

function shortcutPicker(anchor, ts) {
  openPicker(anchor, state.shortcuts.map((s) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "picker-text";
    button.textContent = s.name;
    button.addEventListener("click", () => {
      $("#picker").hidden = true;
      post("shortcut", {channel: convId(), ts, callback_id: s.callback_id});
    });
    return button;
  }));
}

function setConv(next) {
  conv = next;
  highlightTs = null;
  rendered.messages = "";
  renderMessages.done = false;
  if (state) {
    renderSidebar();
    renderPane();
  }
  if (next === "home") post("home", {});
}

function showCommandHints() {
  const list = $("#command-hints");
  const text = $("#composer-text").value;
  if (!state || !text.startsWith("/") || text.includes(" ")) {
    list.hidden = true;
    return;
  }
  const matches = state.commands.filter((c) => c.command.startsWith(text.toLowerCase()));
  list.replaceChildren(...matches.map((c) => {
    const li = document.createElement("li");
    const name = document.createElement("b");
    name.textContent = c.command;
    li.append(name, c.usage);
    li.addEventListener("mousedown", (event) => {
      event.preventDefault();
      $("#composer-text").value = c.command + " ";
      list.hidden = true;
    });
    return li;
  }));
  list.hidden = !matches.length;
}

function statusEmojiSelect(current) {
  const select = document.createElement("select");
  select.name = "status_emoji";
  select.setAttribute("aria-label", "Status emoji");
  const none = document.createElement("option");
  none.value = "";
  none.textContent = "no emoji";
  select.append(none);
  const names = state.status_emoji.map((e) => e.name);
  const choices = current && !names.includes(current) ? [...state.status_emoji, {name: current, char: `:${current}:`}]
    : state.status_emoji;
  for (const e of choices) {
    const option = document.createElement("option");
    option.value = e.name;
    option.textContent = `${e.char} ${e.name.replace(/_/g, " ")}`;
    select.append(option);
  }
  select.value = current || "";
  return select;
}

function openPeople() {
  const rows = $("#people-rows");
  rows.replaceChildren(...state.people.map((p, i) => {
    const row = document.createElement("div");
    row.className = "person-row";
    row.dataset.id = p.id;
    const name = document.createElement("input");
    name.name = "name";
    name.value = p.name;
    name.required = true;
    name.setAttribute("aria-label", "Name");
    const tz = document.createElement("input");
    tz.name = "tz";
    tz.value = p.tz;
    tz.required = true;
    tz.setAttribute("list", "zones");
    tz.setAttribute("aria-label", "Time zone");
    const role = document.createElement("span");
    role.className = "person-role";
    role.textContent = i === 0 ? "manager" : "agent";
    const status = document.createElement("div");
    status.className = "person-status-row";
    const text = document.createElement("input");
    text.name = "status_text";
    text.value = p.status ? p.status.text : "";
    text.maxLength = 100;
    text.placeholder = "Status, e.g. On vacation";
    text.setAttribute("aria-label", "Status text");
    const until = document.createElement("input");
    until.name = "status_until";
    until.type = "datetime-local";
    until.value = p.status ? p.status.until_local : "";
    until.title = `Clear the status at this time in ${city(p.tz)} (empty: don't clear)`;
    until.setAttribute("aria-label", "Clear status after");
    status.append(statusEmojiSelect(p.status ? p.status.emoji : ""), text, until);
    row.append(name, tz, role, status);
    return row;
  }));
  $("#people-error").hidden = true;
  $("#people-dialog").showModal();
}

function wire() {
  $("#viewer").addEventListener("change", (event) => {
    viewer = event.target.value;
    localStorage.setItem(VIEWER_KEY, viewer);
    rendered = {messages: "", home: "", modalHtml: "", modalId: ""};
    if (conv === "home") post("home", {});
    refresh();
  });
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (!target.closest("#picker") && !target.closest(".tool")) $("#picker").hidden = true;
    const convButton = target.closest("[data-conv]");
    if (convButton) return setConv(convButton.dataset.conv);
    const bkButton = target.closest(".bk-button[data-action-id]");
    if (bkButton) return clickElement(bkButton);
    const option = target.closest(".bk-overflow-option");
    if (option) return clickElement(option, option.dataset.value);
    const message = target.closest(".msg");
    if (!message) return;
    if (target.closest(".tool-react")) return reactionPicker(target.closest(".tool-react"), message.dataset.ts);
    if (target.closest(".tool-more")) return shortcutPicker(target.closest(".tool-more"), message.dataset.ts);
    const pill = target.closest(".reaction");
    if (pill && !pill.classList.contains("mine")) {
      return post("react", {channel: convId(), ts: message.dataset.ts, name: pill.dataset.reaction});
    }
    if (target.closest(".dismiss")) return post("dismiss", {ephemeral_id: message.dataset.ephemeralId});
  });
  document.addEventListener("change", (event) => {
    const select = event.target.closest && event.target.closest(".msg .bk-element select, #home .bk-element select");
    if (select) clickElement(select.closest(".bk-element"), select.value);
  });
  $("#composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#composer-text");
    const text = input.value.trim();
    if (!text) return;
    const error = $("#composer-error");
    input.disabled = true;
    try {
      const answer = await post("send", {channel: convId(), text});
      error.hidden = answer.ok;
      error.textContent = answer.ok ? "" : answer.error;
      if (answer.ok) {
        input.value = "";
        $("#command-hints").hidden = true;
      }
    } finally {
      input.disabled = false;
      input.focus();
    }
  });
  $("#composer-text").addEventListener("input", showCommandHints);
  $("#modal-submit").addEventListener("click", submitModal);
  $("#modal-close").addEventListener("click", () => post("close", {view_id: $("#modal-body").dataset.viewId}));
  $("#modal-body").addEventListener("submit", (event) => { event.preventDefault(); submitModal(); });
  document.querySelectorAll(".clock-button[data-preset]").forEach((button) => {
    button.addEventListener("click", () => forward({preset: button.dataset.preset}));
  });
  $("#clock-at").addEventListener("input", (event) => { event.target.dataset.touched = "1"; });
  $("#clock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#clock-at");
    delete input.dataset.touched;
    forward({at: input.value});
  });
  $("#reset").addEventListener("click", async () => {
    if (!window.confirm("Start again with a fresh demo team? Everything here is wiped.")) return;
    await post("reset", {});
    $("#clock-status").textContent = "Fresh demo team";
    rendered = {messages: "", home: "", modalHtml: "", modalId: ""};
    if (conv === "home") post("home", {});
  });
  $("#people-open").addEventListener("click", openPeople);
  $("#people-cancel").addEventListener("click", () => $("#people-dialog").close());
  $("#people-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const people = [...document.querySelectorAll(".person-row")].map((row) => ({
      id: row.dataset.id,
      name: row.querySelector("[name=name]").value,
      tz: row.querySelector("[name=tz]").value,
      status_emoji: row.querySelector("[name=status_emoji]").value,
      status_text: row.querySelector("[name=status_text]").value,
      status_until: row.querySelector("[name=status_until]").value,
    }));
    const answer = await post("people", {people}, {quiet: true});
    if (answer.ok) {
      $("#people-dialog").close();
      if (answer.restarted) {
        rendered = {messages: "", home: "", modalHtml: "", modalId: ""};
        $("#clock-status").textContent = "Fresh demo team";
      } else {
        $("#clock-status").textContent = "Status sent to Baton";
      }
    } else {
      $("#people-error").hidden = false;
      $("#people-error").textContent = answer.error;
    }
  });
  window.addEventListener("hashchange", followHash);
}

async function forward(body) {
  const status = $("#clock-status");
  status.textContent = "Fast-forwarding…";
  const answer = await post("clock", body, {quiet: true});
  if (answer.ok) {
    const sent = answer.sent === 1 ? "1 message" : `${answer.sent} messages`;
    const passes = answer.passes === 1 ? "1 scheduler pass" : `${answer.passes} scheduler passes`;
    const holiday = answer.holiday ? `${answer.holiday.name} (${answer.holiday.calendar}): ` : "";
    status.textContent = `${holiday}${passes}, ${sent} sent`;
  } else {
    status.textContent = answer.error || "Something went wrong";
  }
}

function followHash() {
  // Permalinks look like #C0SUPPORT/1772460000.000100
  const [channel, ts] = decodeURIComponent(location.hash.slice(1)).split("/");
  if (!channel) return;
  conv = channel.startsWith("D") ? "dm" : "support";
  highlightTs = ts || null;
  rendered.messages = "";
  if (state) {
    renderSidebar();
    renderPane();
  }
}

wire();
followHash();
pollForever();
