// The demo's Slack-like client. It reads /api/state, re-reads it whenever
// the event stream says something changed, and turns what a person does into
// the fake workspace's actions. Everything shown comes from the fakes, so the
// page shows the bot exactly as a Slack user would see it.
"use strict";

const $ = (sel) => document.querySelector(sel);
const ui = {
  me: localStorage.getItem("firebreak.me") || "UALICE",
  channel: decodeURIComponent(location.hash.slice(1)) || localStorage.getItem("firebreak.channel") || "",
  state: null,
  seen: JSON.parse(localStorage.getItem("firebreak.seen") || "{}"),
  openIssue: null,
  viewKey: "",
  loading: false,
  again: false,
  // home: the app's Home tab is shown instead of a conversation; menuFor is
  // the message whose ⋯ menu is open.
  home: false,
  menuFor: "",
};

// EMOJI maps Slack's emoji codes to characters; it is read from emoji.json
// (whose completeness a test checks against every code the bot can send)
// before the first render.
const EMOJI = {};

// ---------- text helpers ----------

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Slack sends &, < and > escaped inside text; undo that before escaping for HTML.
function unSlack(s) {
  return String(s ?? "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function safeURL(u) {
  return /^(https?:|mailto:)/i.test(u) ? u : "";
}

function userName(id) {
  const u = ui.state && ui.state.users.find((x) => x.id === id);
  return u ? u.name : id;
}

function channelName(id) {
  const c = ui.state && ui.state.channels.find((x) => x.id === id);
  return c ? c.name : id;
}

function emoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
}

// keepSpaces shows runs of spaces as typed, as Slack does ("*Severity:* x    *Status:* y"),
// while still letting the line wrap at the last space of a run.
function keepSpaces(html) {
  return html.replace(/ {2,}/g, (m) => "\u00a0".repeat(m.length - 1) + " ");
}

// A bare URL in text: up to whitespace or markup, without the punctuation
// that ends a sentence.
const BARE_URL = /\bhttps?:\/\/[^\s<>"\u0000\u0001]+/g;
function trimURL(u) {
  const m = u.match(/[.,;:!?)\]}'"]+$/);
  return m ? [u.slice(0, -m[0].length), m[0]] : [u, ""];
}

// mrkdwn renders Slack's mrkdwn as HTML. Links and mentions are lifted out
// first (they may hold characters the formatting rules would touch), the rest
// is HTML-escaped before any markup is added, so no text can inject HTML.
function mrkdwn(src) {
  const slots = [];
  const slot = (html) => "\u0000" + (slots.push(html) - 1) + "\u0001";
  let s = String(src ?? "").replace(/<([^<>\n]+)>/g, (m, inner) => {
    const [target, label] = inner.split("|", 2);
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return slot(`<span class="mention${id === ui.me ? " me" : ""}">@${esc(label || userName(id))}</span>`);
    }
    if (target.startsWith("#")) {
      return slot(`<span class="chanref" data-channel="${esc(target.slice(1))}">#${esc(label || channelName(target.slice(1)))}</span>`);
    }
    if (target.startsWith("!")) {
      const name = target.slice(1).split("^")[0];
      return slot(`<span class="mention">@${esc(label || name)}</span>`);
    }
    const url = safeURL(unSlack(target));
    if (url) {
      return slot(`<a href="${esc(url)}" target="_blank" rel="noopener">${esc(unSlack(label || target))}</a>`);
    }
    return slot(esc(unSlack(m)));
  });
  s = esc(unSlack(s));
  s = s.replace(/```([\s\S]*?)```/g, (m, code) => slot(`<pre><code>${code.replace(/^\n/, "")}</code></pre>`));
  s = s.replace(/`([^`\n]+)`/g, (m, code) => slot(`<code>${code}</code>`));
  // Slack links a URL even when it was not sent as <url>.
  s = s.replace(BARE_URL, (m) => {
    const [url, rest] = trimURL(m);
    const href = url.replace(/&amp;/g, "&");
    return slot(`<a href="${esc(href)}" target="_blank" rel="noopener">${url}</a>`) + rest;
  });
  s = s.replace(/(^|[\s(\u0001~_])\*([^*\n]+?)\*(?=$|[\s.,:;!?)\u0000~_])/gm, "$1<b>$2</b>");
  s = s.replace(/(^|[\s(\u0001*~>])_([^_\n]+?)_(?=$|[\s.,:;!?)\u0000*~<])/gm, "$1<i>$2</i>");
  s = s.replace(/(^|[\s(\u0001*_>])~([^~\n]+?)~(?=$|[\s.,:;!?)\u0000*_<])/gm, "$1<s>$2</s>");
  s = s.replace(/^&gt; ?(.*)$/gm, "<blockquote>$1</blockquote>");
  s = keepSpaces(emoji(s)).replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
  return s.replace(/\u0000(\d+)\u0001/g, (m, i) => slots[+i]);
}

function textObj(t) {
  if (!t) return "";
  if (t.type === "mrkdwn") return mrkdwn(t.text);
  return emoji(esc(t.text));
}

function plainText(t) {
  return t ? String(t.text ?? "") : "";
}

// ---------- markdown (GitHub pane) ----------

function mdInline(src) {
  const slots = [];
  const slot = (html) => "\u0000" + (slots.push(html) - 1) + "\u0001";
  let s = String(src ?? "");
  // A code span opens at a backtick that is not escaped; inside it a
  // backslash is just a backslash.
  s = s.replace(/(?<!\\)`([^`]+)`/g, (m, code) => slot(`<code>${esc(code)}</code>`));
  // Outside code, a backslash before ASCII punctuation makes that character
  // literal (CommonMark "backslash escapes"): GitHub shows "\|" as "|".
  s = s.replace(/\\([!-\/:-@\[-`{-~])/g, (m, c) => slot(esc(c)));
  s = esc(s);
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label, url) => {
    const u = safeURL(url.replace(/&amp;/g, "&"));
    return u ? slot(`<a href="${esc(u)}" target="_blank" rel="noopener">${label}</a>`) : m;
  });
  s = s.replace(/(^|[\s(])(https?:\/\/[^\s<)]+)/g, (m, pre, url) => pre + slot(`<a href="${url}" target="_blank" rel="noopener">${url}</a>`));
  s = s.replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/(^|[\s(])[*_]([^*_\n]+)[*_](?=$|[\s.,:;!?)])/g, "$1<em>$2</em>");
  s = s.replace(/~~([^~]+)~~/g, "<del>$1</del>");
  return emoji(s).replace(/\u0000(\d+)\u0001/g, (m, i) => slots[+i]);
}

function tableRow(line) {
  let l = line.trim();
  if (l.startsWith("|")) l = l.slice(1);
  if (l.endsWith("|") && !l.endsWith("\\|")) l = l.slice(0, -1);
  return l.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

// markdown renders the subset of GitHub-flavoured markdown a postmortem
// uses: headings, paragraphs, lists and task lists, tables, code, quotes,
// rules, HTML comments (hidden, as GitHub hides them).
function markdown(src) {
  const lines = String(src ?? "").replace(/\r\n/g, "\n").replace(/<!--[\s\S]*?-->/g, "").split("\n");
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (/^\s*$/.test(line)) { i++; continue; }
    if ((m = line.match(/^```/))) {
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      i++;
      out.push(`<pre><code>${esc(code.join("\n"))}</code></pre>`);
      continue;
    }
    if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
      const n = m[1].length;
      out.push(`<h${n}>${mdInline(m[2])}</h${n}>`);
      i++;
      continue;
    }
    if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) { out.push("<hr>"); i++; continue; }
    if (/^\s*\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1])) {
      const head = tableRow(line);
      i += 2;
      let html = "<table><thead><tr>" + head.map((c) => `<th>${mdInline(c)}</th>`).join("") + "</tr></thead><tbody>";
      for (; i < lines.length && /^\s*\|/.test(lines[i]); i++) {
        html += "<tr>" + tableRow(lines[i]).map((c) => `<td>${mdInline(c)}</td>`).join("") + "</tr>";
      }
      // A wide table scrolls in its own box, not the whole pane.
      out.push(`<div class="table-wrap">${html}</tbody></table></div>`);
      continue;
    }
    if (/^\s*>/.test(line)) {
      const q = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) q.push(lines[i].replace(/^\s*> ?/, ""));
      // GitHub's alerts: "> [!NOTE]" on the first line names the kind.
      const alert = (q[0] || "").match(/^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$/i);
      if (alert) {
        const kind = alert[1].toLowerCase();
        out.push(`<blockquote class="alert ${kind}"><p class="alert-title">${kind[0].toUpperCase() + kind.slice(1)}</p>${markdown(q.slice(1).join("\n"))}</blockquote>`);
      } else {
        out.push(`<blockquote>${markdown(q.join("\n"))}</blockquote>`);
      }
      continue;
    }
    if (/^\s*([-*+]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items = [];
      for (; i < lines.length && /^\s*([-*+]|\d+\.)\s+/.test(lines[i]); i++) {
        const text = lines[i].replace(/^\s*([-*+]|\d+\.)\s+/, "");
        const task = text.match(/^\[([ xX])\]\s+(.*)$/);
        if (task) {
          items.push(`<li class="task"><input type="checkbox" disabled${task[1] === " " ? "" : " checked"}> ${mdInline(task[2])}</li>`);
        } else {
          items.push(`<li>${mdInline(text)}</li>`);
        }
      }
      out.push(ordered ? `<ol>${items.join("")}</ol>` : `<ul>${items.join("")}</ul>`);
      continue;
    }
    const para = [];
    for (; i < lines.length && !/^\s*$/.test(lines[i]) && !/^(#{1,6}\s|```|\s*>|\s*([-*+]|\d+\.)\s+|\s*\|)/.test(lines[i]); i++) {
      para.push(lines[i]);
    }
    if (para.length === 0) { para.push(lines[i]); i++; }
    out.push(`<p>${para.map(mdInline).join("<br>")}</p>`);
  }
  return out.join("\n");
}

// ---------- Block Kit ----------

// renderBlocks turns blocks into HTML. ctx.where is "message", "ephemeral" or
// "modal"; interactive elements carry what a click needs in data- attributes.
function renderBlocks(blocks, ctx) {
  return (blocks || []).map((b) => renderBlock(b, ctx)).join("");
}

function renderBlock(b, ctx) {
  switch (b.type) {
    case "header":
      return `<div class="bk-header">${emoji(esc(plainText(b.text)))}</div>`;
    case "section": {
      let html = `<div class="bk-section" data-block-id="${esc(b.block_id || "")}"><div class="bk-text">${textObj(b.text)}`;
      if (b.fields && b.fields.length) {
        html += `<div class="bk-fields">${b.fields.map((f) => `<div>${textObj(f)}</div>`).join("")}</div>`;
      }
      html += "</div>";
      if (b.accessory) html += `<div class="bk-accessory">${renderElement(b.accessory, b, ctx)}</div>`;
      return html + "</div>";
    }
    case "context":
      return `<div class="bk-context">${(b.elements || []).map((e) =>
        e.type === "image" ? `<img src="${esc(safeURL(e.image_url))}" alt="${esc(e.alt_text)}" width="16" height="16">` : `<span>${textObj(e)}</span>`).join("")}</div>`;
    case "divider":
      return `<hr class="bk-divider">`;
    case "actions":
      return `<div class="bk-actions" data-block-id="${esc(b.block_id || "")}">${(b.elements || []).map((e) => renderElement(e, b, ctx)).join("")}</div>`;
    case "input": {
      const err = ctx.errors && ctx.errors[b.block_id];
      return `<div class="bk-input" data-block-id="${esc(b.block_id || "")}"><label>${esc(plainText(b.label))}${b.optional ? ' <span class="optional">(optional)</span>' : ""}</label>` +
        renderElement(b.element || {}, b, ctx) +
        (b.hint ? `<div class="hint">${esc(plainText(b.hint))}</div>` : "") +
        (err ? `<div class="error">${esc(err)}</div>` : "") + "</div>";
    }
    case "image":
      return `<img class="bk-image" src="${esc(safeURL(b.image_url))}" alt="${esc(b.alt_text)}">`;
    case "rich_text":
      return "";
    default:
      return `<div class="muted">[${esc(b.type)} block]</div>`;
  }
}

function options(el) {
  const opts = (el.options || []).slice();
  for (const g of el.option_groups || []) opts.push(...(g.options || []));
  return opts;
}

function renderElement(el, block, ctx) {
  const aid = esc(el.action_id || "");
  const bid = esc(block.block_id || "");
  const inert = ctx.where !== "message" && ctx.where !== "modal" && ctx.where !== "home";
  switch (el.type) {
    case "button": {
      const style = el.style === "primary" ? " primary" : el.style === "danger" ? " danger" : "";
      if (el.url) {
        return `<a class="bk-button${style}" href="${esc(safeURL(el.url))}" target="_blank" rel="noopener">${esc(plainText(el.text))}</a>`;
      }
      return `<button type="button" class="bk-button${style}" data-action-id="${aid}" data-value="${esc(el.value || "")}" data-block-id="${bid}"${inert || ctx.where === "modal" ? " disabled" : ""}>${emoji(esc(plainText(el.text)))}</button>`;
    }
    case "static_select": {
      const init = el.initial_option && el.initial_option.value;
      const inInput = block.type === "input";
      let html = `<select class="bk-select" data-action-id="${aid}" data-block-id="${bid}"${inInput ? ' data-input="1"' : ""}${inert ? " disabled" : ""}>`;
      if (!init) html += `<option value="" disabled selected>${esc(plainText(el.placeholder) || "Select an option")}</option>`;
      for (const o of options(el)) {
        html += `<option value="${esc(o.value)}"${o.value === init ? " selected" : ""}>${esc(plainText(o.text))}</option>`;
      }
      return html + "</select>";
    }
    case "plain_text_input": {
      const ph = esc(plainText(el.placeholder));
      const max = el.max_length ? ` maxlength="${+el.max_length}"` : "";
      const init = esc(el.initial_value || "");
      return el.multiline
        ? `<textarea data-action-id="${aid}" data-block-id="${bid}" data-input="1" placeholder="${ph}"${max}>${init}</textarea>`
        : `<input type="text" data-action-id="${aid}" data-block-id="${bid}" data-input="1" placeholder="${ph}"${max} value="${init}">`;
    }
    case "checkboxes": {
      // One box per option; the form sends the ticked values, comma separated.
      let html = `<span class="bk-checkboxes" data-action-id="${aid}" data-block-id="${bid}" data-input="1" data-checkboxes="1">`;
      for (const o of options(el)) {
        html += `<label class="bk-checkbox"><input type="checkbox" value="${esc(o.value)}"${inert ? " disabled" : ""}> ${esc(plainText(o.text))}`;
        if (o.description) html += ` <span class="muted">${esc(plainText(o.description))}</span>`;
        html += `</label>`;
      }
      return html + "</span>";
    }
    case "image":
      return `<img src="${esc(safeURL(el.image_url))}" alt="${esc(el.alt_text)}" width="48" height="48">`;
    default:
      return `<span class="muted">[${esc(el.type)}]</span>`;
  }
}

// ---------- rendering ----------

const COLORS = { UALICE: "#e8912d", UBOB: "#2bac76", UCAROL: "#9e3997", UDAVE: "#1d9bd1", UBOT: "#e01e5a" };

function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function renderMessage(m, where) {
  const isBot = !!m.bot_id || m.user === "UBOT";
  const name = isBot ? "firebreak" : userName(m.user);
  const color = COLORS[isBot ? "UBOT" : m.user] || "#616061";
  const initial = isBot ? "🔥" : esc(name.slice(0, 1).toUpperCase());
  const ctx = { where: m.ephemeral ? "ephemeral" : where, ts: m.ts };
  const body = m.blocks && m.blocks.length ? renderBlocks(m.blocks, ctx) : `<div class="msg-text">${mrkdwn(m.text)}</div>`;
  let html = `<div class="msg${m.pinned ? " pinned" : ""}${m.ephemeral ? " ephemeral" : ""}${ui.menuFor && ui.menuFor === m.ts ? " menu-open" : ""}" data-ts="${esc(m.ts || "")}" data-testid="message">`;
  html += `<div class="avatar" style="background:${color}">${initial}</div><div class="msg-body">`;
  if (m.pinned) html += `<div class="pin-marker" data-testid="pinned">📌 Pinned</div>`;
  html += `<div class="msg-head"><span class="name">${esc(name)}</span>${isBot ? '<span class="app">APP</span>' : ""}<span class="time">${fmtTime(m.time)}</span>${m.edited ? '<span class="time">(edited)</span>' : ""}</div>`;
  html += body;
  if (m.reactions && m.reactions.length) {
    html += `<div class="reactions">${m.reactions.map((r) =>
      `<span class="reaction${r.users.includes(ui.me) ? " mine" : ""}" title="${esc(r.users.map(userName).join(", "))}">${EMOJI[r.name] || ":" + esc(r.name) + ":"} ${r.users.length}</span>`).join("")}</div>`;
  }
  if (m.replies && m.replies.length) {
    html += `<div class="replies">${m.replies.map((r) => renderMessage(r, "message")).join("")}</div>`;
  }
  if (m.ephemeral) html += `<div class="eph-marker">👁 Only visible to you</div>`;
  html += "</div>";
  if (!m.ephemeral && m.ts && where === "message") {
    const shortcuts = (ui.state && ui.state.shortcuts) || [];
    html += `<div class="msg-actions"><button type="button" data-react="${esc(m.ts)}" title="React with 📌">📌</button>` +
      (m.pinned ? "" : `<button type="button" data-pin="${esc(m.ts)}" title="Pin to channel">Pin</button>`) +
      (shortcuts.length ? `<button type="button" data-menu="${esc(m.ts)}" data-testid="message-menu" title="More actions">⋯</button>` : "") + "</div>";
    if (ui.menuFor === m.ts && shortcuts.length) {
      html += `<div class="msg-menu" data-testid="shortcut-menu"><div class="menu-title">Firebreak</div>` +
        shortcuts.map((sc) => `<button type="button" data-shortcut="${esc(sc.callback_id)}" data-ts="${esc(m.ts)}">${esc(sc.name)}</button>`).join("") + "</div>";
    }
  }
  return html + "</div>";
}

function render() {
  const st = ui.state;
  if (!st) return;
  // Replacing the markup between a button's mousedown and mouseup would
  // swallow the click; the update waits for the button to be released.
  if (ui.pointerDown) { ui.renderPending = true; return; }
  ui.renderPending = false;
  if (document.body.dataset.me !== st.me) document.body.dataset.me = st.me;
  ui.channel = st.channel;
  localStorage.setItem("firebreak.channel", ui.channel);
  if (location.hash.slice(1) !== ui.channel) history.replaceState(null, "", "#" + ui.channel);

  const sel = $("#as");
  const people = st.users.filter((u) => !u.is_bot);
  const opts = people.map((u) => `<option value="${esc(u.id)}"${u.id === ui.me ? " selected" : ""}>${esc(u.real_name || u.name)} (@${esc(u.name)})</option>`).join("");
  if (sel.dataset.opts !== opts) { sel.innerHTML = opts; sel.dataset.opts = opts; }
  sel.value = ui.me;

  const cur = st.channels.find((c) => c.id === st.channel);
  if (cur) ui.seen[cur.id] = cur.count;
  localStorage.setItem("firebreak.seen", JSON.stringify(ui.seen));
  const item = (c) => {
    const cls = [c.id === st.channel && !ui.home ? "active" : "", !c.is_member ? "notmember" : "", c.archived ? "archived" : "",
      c.is_member && c.id !== st.channel && c.count > (ui.seen[c.id] || 0) ? "unread" : ""].join(" ");
    const label = c.is_im ? "firebreak" : "# " + c.name;
    return `<li class="${cls}" data-channel="${esc(c.id)}" data-name="${esc(c.name)}">${esc(label)}</li>`;
  };
  const setHTML = (el, html) => { if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; } };
  setHTML($("#channels"), st.channels.filter((c) => !c.is_im).map(item).join(""));
  const dms = st.channels.filter((c) => c.is_im);
  setHTML($("#dms"), dms.map(item).join(""));
  $("#dm-title").hidden = dms.length === 0;

  $("#home-tab").classList.toggle("active", ui.home);
  document.body.classList.toggle("at-home", ui.home);
  if (ui.home) {
    renderHome();
    renderIssues();
    renderPages();
    renderModal();
    return;
  }
  $("#chan-name").textContent = cur ? (cur.is_im ? "firebreak" : "# " + cur.name) : "";
  $("#chan-topic").innerHTML = cur && cur.topic ? mrkdwn(cur.topic) : "";
  $("#chan-meta").textContent = cur ? `${cur.members.length} members` : "";
  $("#join-bar").hidden = !cur || cur.is_member || cur.is_im;

  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const html = st.messages.length ? st.messages.map((m) => renderMessage(m, "message")).join("") :
    `<div class="empty">No messages yet. Type <code>/incident Checkout returns 500</code> below to declare an incident.</div>`;
  if (box.dataset.html !== html) {
    box.innerHTML = html;
    box.dataset.html = html;
    if (atBottom || ui.forceBottom) box.scrollTop = box.scrollHeight;
  }
  ui.forceBottom = false;

  renderIssues();
  renderPages();
  renderModal();
}

// renderHome shows the app's Home tab: the view Firebreak last published
// for this person (it publishes one when the tab is opened).
function renderHome() {
  $("#chan-name").textContent = "🔥 Firebreak";
  $("#chan-topic").textContent = "Home";
  $("#chan-meta").textContent = "";
  $("#join-bar").hidden = true;
  const v = ui.state.home;
  const html = v ? `<div class="home" data-testid="home">${renderBlocks((v.view || {}).blocks, { where: "home" })}</div>` :
    `<div class="empty">Opening Firebreak's Home…</div>`;
  const box = $("#messages");
  if (box.dataset.html !== html) { box.innerHTML = html; box.dataset.html = html; }
}

function openHome() {
  showConversation();
  ui.home = true;
  ui.menuFor = "";
  render();
  post("/api/home", {}).catch(() => {});
}

$("#home-tab").addEventListener("click", openHome);

// renderPages lists what the fake PagerDuty received: one line per alert
// (dedup key firebreak-INC-n), however often it was triggered.
function renderPages() {
  const pages = ui.state.pages;
  $("#fire-alert").hidden = !pages;
  $("#pages-pane").hidden = !pages;
  if (!pages) return;
  const html = pages.length ? pages.map((p) =>
    `<div class="page" data-testid="page"><span class="state${p.status === "resolved" ? " closed" : ""}">${p.status === "resolved" ? "Resolved" : "Triggered"}</span> ` +
    `<code>${esc(p.dedup_key)}</code> · ${esc(p.severity)} · ${esc(p.at)}<div>${esc(p.summary)}</div>` +
    (p.triggers > 1 ? `<div class="muted">${p.triggers} triggers, one alert (deduplicated)</div>` : "") + "</div>").join("")
    : `<div class="gh-empty">No pages yet. Press “Fire an alert”: Alertmanager's webhook declares a sev2 incident, which pages on-call here.</div>`;
  const el = $("#pages");
  if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
}

$("#fire-alert").addEventListener("click", async () => {
  try {
    const r = await post("/api/fire-alert", {});
    const inc = r.answer && r.answer.incidents ? r.answer.incidents.join(", ") : "";
    toast(`Alertmanager posted alert #${r.alert}: HTTP ${r.status}${inc ? " → " + inc : ""}`);
  } catch (err) { /* post already said why */ }
});

function renderIssues() {
  const st = ui.state;
  $("#gh-repo").textContent = st.repo ? st.repo + " · issues" : "GitHub";
  if (!st.issues.length) {
    $("#issues").innerHTML = `<div class="gh-empty">No issues yet. When an incident is closed, its blameless postmortem draft is filed here.</div>`;
    return;
  }
  if (ui.openIssue === null || !st.issues.some((i) => i.number === ui.openIssue)) ui.openIssue = st.issues[0].number;
  const html = st.issues.map((is) => {
    const open = is.number === ui.openIssue;
    return `<div class="issue" data-testid="issue" data-number="${is.number}"><div class="issue-title" data-issue="${is.number}">` +
      `<span class="state${is.state === "closed" ? " closed" : ""}">${is.state === "closed" ? "Closed" : "Open"}</span>` +
      `<span>${esc(is.title)} <span class="num">#${is.number}</span></span></div>` +
      `<div class="labels">${is.labels.map((l) => `<span class="label">${esc(l)}</span>`).join("")}</div>` +
      (open ? `<div class="md" data-testid="issue-body">${markdown(is.body)}${(is.comments || []).map((c) => `<hr>${markdown(c)}`).join("")}</div>` : "") +
      "</div>";
  }).join("");
  const el = $("#issues");
  if (el.dataset.html !== html) { el.innerHTML = html; el.dataset.html = html; }
}

// renderModal shows the person's visible modal. It is rebuilt only when the
// view itself changes, so typing is never wiped by an unrelated update.
function renderModal() {
  const v = ui.state.view;
  const key = v ? v.id + JSON.stringify(v.view) + JSON.stringify(v.errors || {}) : "";
  if (key === ui.viewKey) return;
  const sameView = v && ui.viewKey.startsWith(v.id);
  const kept = sameView ? collectValues() : null;
  ui.viewKey = key;
  const root = $("#modal-root");
  if (!v) { root.innerHTML = ""; return; }
  const view = v.view || {};
  root.innerHTML = `<div class="overlay"><form class="modal" data-testid="modal" data-view-id="${esc(v.id)}" novalidate>` +
    `<div class="modal-head"><h2>${esc(plainText(view.title))}</h2><button type="button" class="x" data-close title="Close">✕</button></div>` +
    `<div class="modal-body">${renderBlocks(view.blocks, { where: "modal", errors: v.errors || {} })}</div>` +
    `<div class="modal-foot"><button type="button" class="bk-button" data-close>${esc(plainText(view.close) || "Cancel")}</button>` +
    (view.submit ? `<button type="submit" class="bk-button primary" data-testid="modal-submit">${esc(plainText(view.submit))}</button>` : "") +
    `</div></form></div>`;
  if (kept) {
    for (const [bid, byAction] of Object.entries(kept)) {
      for (const [aid, val] of Object.entries(byAction)) {
        const el = root.querySelector(`[data-block-id="${CSS.escape(bid)}"][data-action-id="${CSS.escape(aid)}"][data-input]`);
        if (el && val) el.value = val;
      }
    }
  }
  const first = root.querySelector("[data-input]");
  if (first) first.focus();
}

function collectValues() {
  const values = {};
  for (const el of document.querySelectorAll("#modal-root [data-input]")) {
    const bid = el.dataset.blockId, aid = el.dataset.actionId;
    if (el.tagName === "SELECT" && !el.value) continue;
    if (el.dataset.checkboxes) {
      const ticked = [...el.querySelectorAll("input:checked")].map((b) => b.value);
      if (ticked.length) (values[bid] = values[bid] || {})[aid] = ticked.join(",");
      continue;
    }
    (values[bid] = values[bid] || {})[aid] = el.value;
  }
  return values;
}

// ---------- talking to the server ----------

let toastTimer = 0;
function toast(msg) {
  const t = $("#toast");
  t.textContent = msg;
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 5000);
}

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: ui.me, ...body }) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    toast(data.error || `${path}: HTTP ${res.status}`);
    throw new Error(data.error || String(res.status));
  }
  refresh();
  return data;
}

// refresh re-reads the state; calls that arrive while one is running are
// folded into one more read afterwards.
async function refresh() {
  if (ui.loading) { ui.again = true; return; }
  ui.loading = true;
  try {
    const me = ui.me, channel = ui.channel;
    const res = await fetch(`/api/state?user=${encodeURIComponent(me)}&channel=${encodeURIComponent(channel)}`);
    if (res.ok) {
      const st = await res.json();
      if (me !== ui.me || channel !== ui.channel) {
        // The person or the channel changed while this was read: the answer
        // is for a view no longer wanted.
        ui.again = true;
      } else {
        ui.state = st;
        render();
        document.body.dataset.ready = "1";
      }
    }
  } catch (e) {
    // The stream reconnects and triggers the next read.
  } finally {
    ui.loading = false;
    if (ui.again) { ui.again = false; refresh(); }
  }
}

function openChannel(id) {
  showConversation();
  ui.home = false;
  ui.menuFor = "";
  ui.channel = id;
  ui.forceBottom = true;
  refresh();
}

// ---------- events ----------

document.addEventListener("mousedown", () => { ui.pointerDown = true; }, true);
document.addEventListener("mouseup", () => {
  ui.pointerDown = false;
  // after the click handlers of this release have run
  if (ui.renderPending) setTimeout(render, 0);
}, true);

$("#channels").addEventListener("click", (e) => { const li = e.target.closest("li[data-channel]"); if (li) openChannel(li.dataset.channel); });
$("#dms").addEventListener("click", (e) => { const li = e.target.closest("li[data-channel]"); if (li) openChannel(li.dataset.channel); });

$("#as").addEventListener("change", (e) => {
  ui.me = e.target.value;
  localStorage.setItem("firebreak.me", ui.me);
  ui.viewKey = "\u0000";
  ui.menuFor = "";
  // Home is per person: the new person opens theirs.
  if (ui.home) post("/api/home", {}).catch(() => {});
  refresh();
});

// Panes. Wide windows show the channel list, the conversation and the
// GitHub pane side by side (the GitHub pane can be hidden); narrower ones
// show the GitHub pane, and below 700 px the channel list, instead of the
// conversation when asked to (see app.css).
const narrow = matchMedia("(max-width: 1099px)");
const tiny = matchMedia("(max-width: 699px)");
const shown = (el) => getComputedStyle(el).display !== "none";

function syncToggles() {
  $("#toggle-gh").setAttribute("aria-pressed", String(shown($("#github"))));
  $("#toggle-nav").setAttribute("aria-pressed", String(tiny.matches && shown($("#sidebar"))));
}

function showGitHub(on) {
  const cl = document.body.classList;
  if (narrow.matches) {
    cl.toggle("gh-open", on);
    if (on) cl.remove("nav-open");
  } else {
    cl.toggle("no-gh", !on);
  }
  syncToggles();
}

function showConversation() {
  document.body.classList.remove("gh-open", "nav-open");
  syncToggles();
}

$("#toggle-gh").addEventListener("click", () => showGitHub(!shown($("#github"))));
$("#toggle-nav").addEventListener("click", () => {
  const open = !document.body.classList.contains("nav-open");
  document.body.classList.toggle("nav-open", open);
  if (open) document.body.classList.remove("gh-open");
  syncToggles();
});
narrow.addEventListener("change", syncToggles);
tiny.addEventListener("change", syncToggles);
syncToggles();

$("#issues").addEventListener("click", (e) => {
  const t = e.target.closest("[data-issue]");
  if (!t) return;
  const n = +t.dataset.issue;
  ui.openIssue = ui.openIssue === n ? -1 : n;
  renderIssues();
});

$("#messages").addEventListener("click", async (e) => {
  const ch = e.target.closest(".chanref[data-channel]");
  if (ch) { openChannel(ch.dataset.channel); return; }
  // Links to a filed postmortem open it in the GitHub pane: the fake
  // GitHub has no web pages of its own.
  const link = e.target.closest("a[href]");
  const m = link && link.getAttribute("href").match(/\/issues\/(\d+)$/);
  if (m && document.querySelector(`#issues [data-issue="${m[1]}"]`)) {
    e.preventDefault();
    showGitHub(true);
    ui.openIssue = +m[1];
    renderIssues();
    return;
  }
  const btn = e.target.closest("button");
  if (!btn || btn.disabled) return;
  btn.disabled = true;
  try {
    if (btn.dataset.menu) {
      ui.menuFor = ui.menuFor === btn.dataset.menu ? "" : btn.dataset.menu;
      render();
    } else if (btn.dataset.shortcut) {
      ui.menuFor = "";
      render();
      await post("/api/shortcut", { channel: ui.channel, ts: btn.dataset.ts, callback_id: btn.dataset.shortcut });
    } else if (btn.dataset.actionId && ui.home) {
      await post("/api/home-click", { action_id: btn.dataset.actionId });
    } else if (btn.dataset.actionId) {
      const ts = btn.closest(".msg").dataset.ts;
      await post("/api/click", { channel: ui.channel, ts, action_id: btn.dataset.actionId, value: btn.dataset.value });
    } else if (btn.dataset.react) {
      await post("/api/react", { channel: ui.channel, ts: btn.dataset.react, name: "pushpin" });
    } else if (btn.dataset.pin) {
      await post("/api/pin", { channel: ui.channel, ts: btn.dataset.pin });
    }
  } catch (err) {
    // the toast says why
  } finally {
    // A click that changed nothing (a refusal) leaves the same markup, so
    // the button is not replaced by a re-render: enable it again.
    btn.disabled = false;
  }
});

$("#messages").addEventListener("change", async (e) => {
  const s = e.target.closest("select[data-action-id]");
  if (!s || s.dataset.input) return;
  const ts = s.closest(".msg").dataset.ts;
  await post("/api/click", { channel: ui.channel, ts, action_id: s.dataset.actionId, value: s.value, select: true }).catch(() => {});
});

$("#modal-root").addEventListener("click", async (e) => {
  const c = e.target.closest("[data-close]");
  if (!c) return;
  const form = c.closest("form");
  await post("/api/close-view", { view: form.dataset.viewId }).catch(() => {});
});

$("#modal-root").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const btn = form.querySelector("[type=submit]");
  if (btn) btn.disabled = true;
  try {
    await post("/api/submit", { view: form.dataset.viewId, values: collectValues() });
  } catch (err) {
    // the toast says why; the modal stays open to correct it
  }
  if (btn) btn.disabled = false;
});

document.addEventListener("keydown", (e) => {
  const form = $("#modal-root form");
  if (e.key === "Escape" && form) post("/api/close-view", { view: form.dataset.viewId }).catch(() => {});
});

$("#join").addEventListener("click", () => post("/api/join", { channel: ui.channel }).catch(() => {}));

const input = $("#input");
// Enter sends, Shift+Enter starts a new line. The line break an Enter
// would insert is refused too, so a sent message never leaves an empty
// second line behind in the box.
let newlineWanted = false;
input.addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  newlineWanted = e.shiftKey;
  if (!e.shiftKey) { e.preventDefault(); $("#composer").requestSubmit(); }
});
input.addEventListener("beforeinput", (e) => {
  const lineBreak = e.inputType === "insertLineBreak" || e.inputType === "insertParagraph" ||
    (e.inputType === "insertText" && /[\r\n]/.test(e.data || ""));
  if (lineBreak && !newlineWanted) e.preventDefault();
  newlineWanted = false;
});
// The box grows with what is typed, up to eight lines, then scrolls.
function fitInput() {
  input.style.height = "auto";
  input.style.height = Math.min(input.scrollHeight, 164) + "px";
}
input.addEventListener("input", fitInput);

$("#composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  input.style.height = "";
  ui.forceBottom = true;
  try {
    await post("/api/send", { channel: ui.channel, text });
  } catch (err) {
    input.value = text;
    fitInput();
  }
});

window.addEventListener("hashchange", () => {
  const id = decodeURIComponent(location.hash.slice(1));
  if (id && id !== ui.channel) openChannel(id);
});

function connect() {
  const es = new EventSource("/api/events");
  let timer = 0;
  const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 60); };
  es.addEventListener("slack", soon);
  es.addEventListener("github", soon);
  es.addEventListener("open", soon);
}

// The emoji table comes first so that the first render already shows them;
// without it the page still works, showing the codes as text.
fetch("emoji.json")
  .then((res) => (res.ok ? res.json() : {}))
  .then((table) => Object.assign(EMOJI, table))
  .catch(() => {})
  .finally(() => { connect(); refresh(); });
