// gridbot sandbox chat page: acts as a person through the sandbox's JSON API, live via SSE.
"use strict";

const ROLE_LABEL = { resident: "居民", officer: "民警", chief: "所长" };
const ROLE_EN = { resident: "Residents", officer: "Officers", chief: "Chief" };
const SERVICE_LABEL = {
  new_chat_members: "新成员加入了群聊",
  left_chat_member: "成员离开了群聊",
  migrate_to_chat_id: "本群已升级为超级群",
  migrate_from_chat_id: "本群由普通群升级而来",
};
const BOT_ICON = '<svg viewBox="0 0 24 24" width="60%" height="60%" fill="#fff" aria-hidden="true"><rect x="4" y="7" width="16" height="12" rx="3"/><rect x="11" y="3" width="2" height="4"/><circle cx="12" cy="3" r="1.6"/><circle cx="9" cy="12.5" r="1.7" fill="#3390ec"/><circle cx="15" cy="12.5" r="1.7" fill="#3390ec"/><rect x="8.5" y="15.5" width="7" height="1.4" rx=".7" fill="#3390ec"/></svg>';
const REPLY_ICON = '<svg viewBox="0 0 24 24" width="16" height="16" fill="#fff" aria-hidden="true"><path d="M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z"/></svg>';
const DOC_ICON = '<svg viewBox="0 0 24 24" width="20" height="20" fill="#fff" aria-hidden="true"><path d="M6 2h8l6 6v14H6z" opacity=".9"/><path d="M14 2v6h6" fill="#2a7bd1"/></svg>';
const COLORS = ["#e17076", "#7bc862", "#e5ca77", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

const state = {
  bot: null, people: [], chats: [], messages: {}, clockHours: 0,
  me: null, active: null, unread: {}, replyTo: null, loaded: false, pending: [],
};
const $ = (id) => document.getElementById(id);

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function color(id) { return COLORS[Math.abs(Number(id)) % COLORS.length]; }
function initial(name) { return (name || "?").trim().charAt(0); }
function hhmm(unix) {
  const d = new Date(unix * 1000);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}
function person(id) { return state.people.find((p) => p.id === id); }
function rich(text) {
  // Commands and #tags stand out as they do in Telegram clients.
  return esc(text)
    .replace(/(^|\s)(\/[A-Za-z_]+)/g, '$1<span class="cmd">$2</span>')
    .replace(/(#[0-9]+|#[\u4e00-\u9fa5A-Za-z]+)/g, '<span class="tag">$1</span>');
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const res = await fetch(path, opts);
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

// ---- chats visible to the chosen person --------------------------------------------------
function privateChat() {
  return { id: state.me, type: "private", title: state.bot.name, members: [state.me] };
}
function myChats() {
  const groups = state.chats.filter((c) => c.members.includes(state.me));
  return [...groups, privateChat()];
}
function chatById(id) { return myChats().find((c) => c.id === id); }
function lastMessage(chatId) {
  const list = state.messages[chatId] || [];
  return list[list.length - 1];
}

function renderPeople() {
  const select = $("person");
  select.innerHTML = "";
  for (const role of ["resident", "officer", "chief"]) {
    const group = document.createElement("optgroup");
    group.label = `${ROLE_LABEL[role]} ${ROLE_EN[role]}`;
    for (const p of state.people.filter((x) => x.role === role)) {
      const opt = document.createElement("option");
      opt.value = p.id;
      opt.textContent = `${p.name}（${ROLE_LABEL[role]}${p.grid ? " · " + p.grid : ""}）`;
      group.appendChild(opt);
    }
    select.appendChild(group);
  }
  select.value = String(state.me);
}

function renderMe() {
  const me = person(state.me);
  const avatar = $("me-avatar");
  avatar.textContent = initial(me.name);
  avatar.style.background = color(me.id);
  const where = me.grid ? `网格 ${me.grid}` : "全所";
  $("me-role").textContent = `${ROLE_LABEL[me.role]} · ${where} · ID ${me.id}`;
}

function renderChatList() {
  const nav = $("chats");
  nav.innerHTML = "";
  for (const chat of myChats()) {
    const last = lastMessage(chat.id);
    const item = document.createElement("div");
    item.className = "chat-item" + (chat.id === state.active ? " active" : "");
    item.dataset.chatId = chat.id;
    const unread = state.unread[chat.id] || 0;
    const who = last && !last.service ? (last.from_id === state.me ? "我" : last.from_name) + "：" : "";
    const preview = last ? who + (last.text || (last.photo ? "[图片]" : last.document ? "[文件]" : "")) : "暂无消息";
    const sub = chat.type === "private" ? "（私聊）" : "";
    item.innerHTML = `
      <div class="avatar" style="background:${chat.type === "private" ? "#3390ec" : color(chat.id)}">${chat.type === "private" ? BOT_ICON : esc(initial(chat.title))}</div>
      <div class="chat-main">
        <div class="chat-line"><span class="chat-name">${esc(chat.title)}${sub}</span>
          <span class="chat-time">${last ? hhmm(last.date) : ""}</span></div>
        <div class="chat-line"><span class="chat-preview">${esc(preview)}</span>
          ${unread ? `<span class="badge hot">${unread}</span>` : ""}</div>
      </div>`;
    item.addEventListener("click", () => openChat(chat.id));
    nav.appendChild(item);
  }
}

function renderHeader() {
  const chat = chatById(state.active);
  const avatar = $("chat-avatar");
  if (chat.type === "private") avatar.innerHTML = BOT_ICON; else avatar.textContent = initial(chat.title);
  avatar.style.background = chat.type === "private" ? "#3390ec" : color(chat.id);
  $("chat-title").textContent = chat.title;
  $("chat-sub").textContent = chat.type === "private"
    ? `机器人 @${state.bot.username} · 私聊 private chat`
    : `${chat.members.length} 位成员 members · 网格群`;
  $("clock-label").textContent = state.clockHours ? `时钟 +${state.clockHours}小时` : "";
}

// ---- messages ---------------------------------------------------------------------------
function messageNode(m) {
  if (m.service) {
    const div = document.createElement("div");
    div.className = "service";
    div.dataset.id = m.id;
    div.textContent = SERVICE_LABEL[m.service] || m.service;
    return div;
  }
  const own = m.from_id === state.me;
  const chat = chatById(m.chat_id);
  const row = document.createElement("div");
  row.className = "row " + (own ? "out" : "in");
  row.dataset.id = m.id;
  const showName = !own && (chat.type !== "private" || m.is_bot);
  let html = "";
  if (showName) {
    const tag = m.is_bot ? '<span class="bot-tag">机器人</span>' : roleTag(m.from_id);
    html += `<div class="sender" style="color:${color(m.from_id)}">${esc(m.from_name)}${tag}</div>`;
  }
  if (m.reply) {
    html += `<div class="quote" data-target="${m.reply.id}"><div class="quote-name">${esc(m.reply.name)}</div>
      <div class="quote-text">${esc(m.reply.text || "…")}</div></div>`;
  }
  if (m.photo) html += `<img class="photo" src="${esc(m.photo)}" alt="图片">`;
  if (m.document) {
    html += `<a class="doc" href="${esc(m.document.url)}" download="${esc(m.document.name)}">
      <span class="doc-icon">${DOC_ICON}</span><span>${esc(m.document.name)}<br><small>下载 download</small></span></a>`;
  }
  const edited = m.edited ? "已编辑 " : "";
  html += `<div class="text">${rich(m.text)}<span class="meta">${edited}${hhmm(m.date)}</span></div>`;
  const stack = document.createElement("div");
  stack.className = "stack";
  stack.innerHTML = `<div class="bubble">${html}</div>`;
  if (m.buttons.length) stack.appendChild(keyboard(m));
  const replyBtn = document.createElement("button");
  replyBtn.className = "reply-action";
  replyBtn.title = "回复 Reply";
  replyBtn.innerHTML = REPLY_ICON;
  replyBtn.addEventListener("click", () => startReply(m));
  if (!own) {
    const avatar = document.createElement("div");
    avatar.className = "avatar small";
    avatar.style.background = m.is_bot ? "#3390ec" : color(m.from_id);
    if (m.is_bot) avatar.innerHTML = BOT_ICON; else avatar.textContent = initial(m.from_name);
    row.append(avatar, stack, replyBtn);
  } else {
    row.append(replyBtn, stack);
  }
  const quote = stack.querySelector(".quote");
  if (quote) quote.addEventListener("click", () => jumpTo(Number(quote.dataset.target)));
  return row;
}

function roleTag(userId) {
  const p = person(userId);
  return p && p.role !== "resident" ? `<span class="bot-tag">${ROLE_LABEL[p.role]}</span>` : "";
}

function keyboard(m) {
  const kb = document.createElement("div");
  kb.className = "keyboard";
  for (const row of m.buttons) {
    const line = document.createElement("div");
    line.className = "kb-row";
    for (const b of row) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "inline-btn";
      btn.textContent = b.text;
      btn.addEventListener("click", () => press(m, b.data));
      line.appendChild(btn);
    }
    kb.appendChild(line);
  }
  return kb;
}

function renderMessages() {
  const box = $("messages");
  box.innerHTML = "";
  const list = state.messages[state.active] || [];
  if (!list.length) {
    box.innerHTML = `<div class="empty">${state.active > 0 ? "发送 /start 或 /help 开始和机器人对话" : "还没有消息"}</div>`;
    return;
  }
  for (const m of list) box.appendChild(messageNode(m));
  box.scrollTop = box.scrollHeight;
}

function upsert(m) {
  const list = (state.messages[m.chat_id] = state.messages[m.chat_id] || []);
  const at = list.findIndex((x) => x.id === m.id);
  if (at >= 0) { list[at] = m; return false; }
  list.push(m);
  list.sort((a, b) => a.id - b.id);
  return true;
}

function applyEvent(ev) {
  if (ev.type === "callback_answer") {
    if (ev.user_id === state.me) toast(ev.text || "已收到", ev.show_alert);
    return;
  }
  const m = ev.message;
  const added = upsert(m);
  const visible = chatById(m.chat_id);
  if (m.chat_id === state.active) {
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const old = box.querySelector(`[data-id="${m.id}"]`);
    if (old) old.replaceWith(messageNode(m));
    else renderMessages();
    if (nearBottom || m.from_id === state.me) box.scrollTop = box.scrollHeight;
  } else if (visible && added && m.from_id !== state.me) {
    state.unread[m.chat_id] = (state.unread[m.chat_id] || 0) + 1;
  }
  if (visible) renderChatList();
}

// ---- actions ----------------------------------------------------------------------------
function openChat(chatId) {
  state.active = chatId;
  state.unread[chatId] = 0;
  cancelReply();
  renderChatList();
  renderHeader();
  renderMessages();
  $("input").focus();
}

function choosePerson(id) {
  state.me = id;
  state.unread = {};
  localStorage.setItem("gridbot-sandbox-person", String(id));
  renderMe();
  const chats = myChats();
  if (!chats.some((c) => c.id === state.active)) state.active = chats[0].id;
  openChat(state.active);
}

function startReply(m) {
  state.replyTo = m;
  $("reply-name").textContent = m.from_name;
  $("reply-text").textContent = m.text || (m.photo ? "[图片]" : "[文件]");
  $("reply-bar").hidden = false;
  $("input").focus();
}
function cancelReply() { state.replyTo = null; $("reply-bar").hidden = true; }

function jumpTo(id) {
  const node = $("messages").querySelector(`[data-id="${id}"]`);
  if (!node) return;
  node.scrollIntoView({ block: "center", behavior: "smooth" });
  const bubble = node.querySelector(".bubble");
  if (bubble) { bubble.classList.remove("flash"); void bubble.offsetWidth; bubble.classList.add("flash"); }
}

async function send() {
  const input = $("input");
  const text = input.value.trim();
  if (!text) return;
  const body = { user_id: state.me, chat_id: state.active, text };
  if (state.replyTo) body.reply_to = state.replyTo.id;
  input.value = "";
  autosize();
  cancelReply();
  try { await api("/api/send", body); } catch (err) { toast("发送失败：" + err.message, true); input.value = text; }
}

async function press(m, data) {
  try {
    await api("/api/press", { user_id: state.me, chat_id: m.chat_id, message_id: m.id, data });
  } catch (err) { toast("按钮无效：" + err.message, true); }
}

async function advanceClock() {
  const res = await api("/api/clock", { hours: 1 });
  state.clockHours = res.clock_hours;
  renderHeader();
  toast(`机器人时钟已拨快到 +${res.clock_hours} 小时，超时督办会在几秒内发出`);
}

let toastTimer = null;
function toast(text, alert) {
  const node = $("toast");
  node.textContent = text;
  node.className = "toast" + (alert ? " alert" : "");
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

function autosize() {
  const input = $("input");
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 140) + "px";
}

// ---- start ------------------------------------------------------------------------------
async function load() {
  const data = await api("/api/state");
  state.bot = data.bot;
  state.people = data.people;
  state.chats = data.chats;
  state.messages = data.messages;
  state.clockHours = data.clock_hours;
  const saved = Number(localStorage.getItem("gridbot-sandbox-person"));
  const me = person(saved) ? saved : state.people[0].id;
  state.me = me;
  renderPeople();
  state.loaded = true;
  choosePerson(me);
  for (const ev of state.pending.splice(0)) applyEvent(ev);
  document.body.dataset.ready = "1";
}

function listen() {
  const source = new EventSource("/api/events");
  source.onmessage = (e) => {
    const ev = JSON.parse(e.data);
    if (state.loaded) applyEvent(ev); else state.pending.push(ev);
  };
  source.onerror = () => { document.body.dataset.live = "0"; };
  source.onopen = () => {
    document.body.dataset.live = "1";
    if (state.loaded) load();
  };
}

$("person").addEventListener("change", (e) => choosePerson(Number(e.target.value)));
$("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
});
$("input").addEventListener("input", autosize);
$("reply-cancel").addEventListener("click", cancelReply);
$("clock-btn").addEventListener("click", advanceClock);
listen();
load();
