// Liaison web chat: acts as one sandbox user at a time and shows their chat with the bot.
// Everything from a message is put into the page with textContent / text nodes, never innerHTML.
(() => {
  "use strict";

  const STRINGS = JSON.parse(document.getElementById("ui-strings").textContent);
  const CONFIG = JSON.parse(document.getElementById("webchat-config").textContent);
  const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:", "tel:", "tg:"]);

  const q = (id) => document.querySelector(`[data-testid="${id}"]`);
  const ui = {
    people: q("people"),
    visitorList: q("person-list-visitor"),
    visitorForm: q("visitor-form"),
    visitorName: q("visitor-name"),
    pickPrompt: q("pick-prompt"),
    empty: q("empty-chat"),
    startButton: q("start-button"),
    messages: q("messages"),
    keyboard: q("reply-keyboard"),
    composer: q("composer"),
    input: q("message-input"),
    photo: q("send-photo"),
    fileInput: q("file-input"),
    location: q("send-location"),
    status: q("chat-status"),
    currentUser: q("current-user"),
    currentName: q("current-user-name"),
    currentRole: q("current-user-role"),
    toast: q("toast"),
    toastText: q("toast-text"),
    toastClose: q("toast-close"),
    clockNow: q("demo-clock-now"),
    clockOffset: q("demo-clock-offset"),
  };
  // Times are the congress's (the TIMEZONE setting), as the bot writes them, not the browser's.
  const ZONE = CONFIG.timeZone || "Asia/Shanghai";
  // Telegram's apps send a photo at most 1280 px on its longer side, re-encoded as JPEG.
  const PHOTO_MAX_SIDE = 1280;
  const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"]);
  const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

  let lang = CONFIG.lang;
  try {
    const saved = window.localStorage.getItem("liaison-webchat-lang");
    if (saved && STRINGS[saved] && !new URLSearchParams(location.search).has("lang")) lang = saved;
  } catch (_) {
    /* storage may be disabled; the server's choice stands */
  }

  const state = {
    user: null, // {id, name, role}
    since: 0,
    generation: 0,
    controller: null,
    bubbles: new Map(), // message_id -> <li>
    keyboard: null,
    keyboardKey: "null",
    renderedKeyboard: "",
    dismissedKeyboard: null,
    typingTimer: null,
    toastTimer: null,
    stuck: true, // the chat is scrolled to its newest message and follows new ones
    clockOffset: CONFIG.clock ? CONFIG.clock.offset * 1000 : 0, // the demo clock's lead on real time, ms
    clockAdvanced: CONFIG.clock ? CONFIG.clock.advanced * 1000 : 0, // how far visitors moved it, ms
  };

  const t = (key) => (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.zh[key] || key;

  // ------------------------------------------------------------------------ page language

  function applyLanguage(next) {
    if (!STRINGS[next]) return;
    lang = next;
    document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of document.querySelectorAll("[data-i18n-aria-label]")) el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
    for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
    for (const el of document.querySelectorAll("[data-ui-lang]")) el.setAttribute("aria-pressed", String(el.dataset.uiLang === lang));
    if (state.user) ui.currentRole.textContent = t(`role_${state.user.role}`);
    for (const el of document.querySelectorAll("[data-i18n-time]")) el.textContent = formatTime(Number(el.dataset.i18nTime));
    renderClock();
    try {
      window.localStorage.setItem("liaison-webchat-lang", lang);
    } catch (_) {
      /* not remembered; fine */
    }
  }

  // ------------------------------------------------------------------------------- server

  async function api(path, options = {}) {
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    return data;
  }

  function post(path, body) {
    return api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
  }

  async function act(action, body) {
    if (!state.user) return null;
    try {
      return await post(`/api/users/${state.user.id}/${action}`, body);
    } catch (err) {
      showToast(`${t("error")}: ${err.message}`, true);
      return null;
    }
  }

  // ----------------------------------------------------------------------------- feedback

  function showToast(text, alert = false) {
    ui.toastText.textContent = text;
    ui.toast.classList.toggle("toast-alert", alert);
    ui.toast.setAttribute("role", alert ? "alert" : "status");
    ui.toast.hidden = false;
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(() => (ui.toast.hidden = true), alert ? 8000 : 4000);
  }

  function showTyping() {
    ui.status.textContent = "";
    const span = document.createElement("span");
    span.className = "typing";
    span.dataset.i18n = "typing";
    span.textContent = t("typing");
    ui.status.append(span);
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(resetStatus, 5000);
  }

  function resetStatus() {
    ui.status.textContent = "";
    const span = document.createElement("span");
    span.dataset.i18n = "bot_status";
    span.textContent = t("bot_status");
    ui.status.append(span);
  }

  // ---------------------------------------------------------------------------- rendering

  const locale = () => (lang === "zh" ? "zh-CN" : "en-GB");

  function formatTime(seconds) {
    if (!seconds) return "";
    return new Date(seconds * 1000).toLocaleTimeString(locale(), {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: ZONE,
    });
  }

  function formatDateTime(ms) {
    return new Date(ms).toLocaleString(locale(), {
      month: "short",
      day: "numeric",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: ZONE,
    });
  }

  // ------------------------------------------------------------------------- demo clock

  function renderClock() {
    if (!ui.clockNow) return;
    ui.clockNow.textContent = formatDateTime(Date.now() + state.clockOffset);
    ui.clockNow.dateTime = new Date(Date.now() + state.clockOffset).toISOString();
    const hours = Math.round(state.clockAdvanced / 3600000);
    ui.clockOffset.hidden = hours <= 0;
    const days = Math.floor(hours / 24);
    const parts = [];
    if (days) parts.push(t("clock_days").replace("{n}", String(days)));
    if (hours % 24) parts.push(t("clock_hours").replace("{n}", String(hours % 24)));
    ui.clockOffset.textContent = `${t("clock_ahead")} ${parts.join(" ")}`;
  }

  async function advanceClock(button) {
    for (const b of document.querySelectorAll("[data-clock-step]")) b.disabled = true;
    try {
      const data = await post("/api/clock/advance", { step: button.dataset.clockStep });
      state.clockOffset = data.offset * 1000;
      state.clockAdvanced = data.advanced * 1000;
      renderClock();
      showToast(`${t("clock_advanced")} ${button.textContent}`);
    } catch (err) {
      showToast(`${t("error")}: ${err.message}`, true);
    } finally {
      for (const b of document.querySelectorAll("[data-clock-step]")) b.disabled = false;
    }
  }

  function safeUrl(raw, fallbackScheme) {
    if (!raw) return null;
    let value = String(raw).trim();
    if (fallbackScheme && !/^[a-z][a-z0-9+.-]*:/i.test(value)) value = fallbackScheme + value;
    try {
      const url = new URL(value);
      return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(href, className) {
    const a = document.createElement("a");
    if (href) {
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    if (className) a.className = className;
    return a;
  }

  // The element for one entity; `part` is the text it covers (UTF-16 offsets match JS strings).
  function entityElement(entity, part) {
    switch (entity.type) {
      case "bold":
        return document.createElement("strong");
      case "italic":
        return document.createElement("em");
      case "underline":
        return document.createElement("u");
      case "strikethrough":
        return document.createElement("s");
      case "code": {
        const el = document.createElement("code");
        el.className = "inline-code";
        return el;
      }
      case "pre": {
        const el = document.createElement("pre");
        if (entity.language) el.dataset.language = entity.language;
        return el;
      }
      case "blockquote":
      case "expandable_blockquote":
        return document.createElement("blockquote");
      case "spoiler": {
        const el = document.createElement("span");
        el.className = "spoiler";
        el.tabIndex = 0;
        el.setAttribute("role", "button");
        const reveal = () => el.classList.add("revealed");
        el.addEventListener("click", reveal);
        el.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && reveal());
        return el;
      }
      case "text_link":
        return link(safeUrl(entity.url), "text-link");
      case "url":
        return link(safeUrl(part, "http://"), "url");
      case "email":
        return link(safeUrl(`mailto:${part}`), "email");
      case "phone_number":
        return link(safeUrl(`tel:${part.replace(/[^+\d]/g, "")}`), "phone");
      case "bot_command": {
        const el = document.createElement("a");
        el.href = "#";
        el.className = "bot-command";
        el.addEventListener("click", (e) => {
          e.preventDefault();
          sendText(part.split("@")[0]);
        });
        return el;
      }
      default: {
        const el = document.createElement("span");
        el.className = `entity-${String(entity.type).replace(/[^a-z_]/g, "")}`;
        return el;
      }
    }
  }

  function renderEntities(text, entities) {
    const root = document.createDocumentFragment();
    const list = (entities || [])
      .filter((e) => e && e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);

    function build(parent, start, end, items) {
      let pos = start;
      let i = 0;
      while (i < items.length) {
        const entity = items[i];
        if (entity.offset < pos) {
          i += 1; // overlapping without nesting: Telegram does not send it; show the text plain
          continue;
        }
        if (entity.offset > pos) parent.append(document.createTextNode(text.slice(pos, entity.offset)));
        const stop = Math.min(entity.offset + entity.length, end);
        const inner = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < stop) inner.push(items[j++]);
        const el = entityElement(entity, text.slice(entity.offset, stop));
        el.dataset.entity = entity.type;
        build(el, entity.offset, stop, inner);
        parent.append(el);
        pos = stop;
        i = j;
      }
      if (pos < end) parent.append(document.createTextNode(text.slice(pos, end)));
    }

    build(root, 0, text.length, list);
    return root;
  }

  function textBlock(text, entities, className) {
    const div = document.createElement("div");
    div.className = className;
    div.append(renderEntities(text, entities));
    return div;
  }

  function mediaBlock(msg) {
    const m = msg.message || {};
    const box = document.createElement("div");
    box.className = `media media-${msg.kind}`;
    if (msg.kind === "photo" && Array.isArray(m.photo) && m.photo.length) {
      const img = document.createElement("img");
      img.src = `/api/files/${encodeURIComponent(m.photo[m.photo.length - 1].file_id)}`;
      img.alt = t("photo_alt");
      img.loading = "lazy";
      img.addEventListener("load", followNewest); // a photo grows its bubble after it is placed
      box.append(img);
    } else if (msg.kind === "location" && m.location) {
      box.textContent = `📍 ${t("location_text")}: ${m.location.latitude.toFixed(5)}, ${m.location.longitude.toFixed(5)}`;
    } else if (msg.kind === "contact" && m.contact) {
      const name = [m.contact.first_name, m.contact.last_name].filter(Boolean).join(" ");
      box.textContent = `👤 ${t("contact_text")}: ${name} ${m.contact.phone_number}`;
    } else if (msg.kind === "voice") {
      box.textContent = `🎤 ${t("voice_text")} (${(m.voice && m.voice.duration) || 0}s)`;
    } else if (msg.kind === "document" && m.document) {
      const a = link(`/api/files/${encodeURIComponent(m.document.file_id)}`, "document");
      a.textContent = `📄 ${m.document.file_name || t("document_text")}`;
      box.append(a);
    } else {
      box.textContent = `[${t("other_text")}: ${msg.kind}]`;
    }
    return box;
  }

  function inlineKeyboard(msg) {
    const rows = (msg.reply_markup && msg.reply_markup.inline_keyboard) || [];
    if (!rows.length) return null;
    const box = document.createElement("div");
    box.className = "inline-keyboard";
    box.setAttribute("role", "group");
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "inline-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "inline-button";
        b.setAttribute("data-testid", "inline-button");
        b.textContent = button.text;
        if (button.url) b.classList.add("is-link");
        b.addEventListener("click", () => pressInline(msg, button, b));
        line.append(b);
      }
      box.append(line);
    }
    return box;
  }

  function renderMessage(msg) {
    const li = document.createElement("li");
    li.className = `message from-${msg.sender}`;
    li.setAttribute("data-testid", "message");
    li.dataset.sender = msg.sender;
    li.dataset.messageId = String(msg.message_id);
    const bubble = document.createElement("div");
    bubble.className = "bubble";

    const quoted = msg.message && msg.message.reply_to_message;
    if (quoted) {
      const quote = document.createElement("div");
      quote.className = "quote";
      quote.textContent = quoted.text || quoted.caption || `[${t("other_text")}]`;
      bubble.append(quote);
    }
    if (msg.kind === "text") {
      bubble.append(textBlock(msg.text || "", msg.entities, "text"));
    } else {
      bubble.append(mediaBlock(msg));
      if (msg.caption) bubble.append(textBlock(msg.caption, msg.caption_entities, "text caption"));
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    if (msg.edited) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.dataset.i18n = "edited";
      edited.setAttribute("data-testid", "edited");
      edited.textContent = t("edited");
      meta.append(edited);
    }
    const time = document.createElement("time");
    time.dataset.i18nTime = String(msg.date || 0);
    time.setAttribute("data-testid", "message-time");
    time.textContent = formatTime(msg.date);
    if (msg.date) {
      time.dateTime = new Date(msg.date * 1000).toISOString();
      time.title = formatDateTime(msg.date * 1000);
    }
    meta.append(time);
    bubble.append(meta);
    li.append(bubble);
    const keyboard = inlineKeyboard(msg);
    if (keyboard) li.append(keyboard);
    return li;
  }

  function nearBottom() {
    const el = ui.messages;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  // Like Telegram: a chat opens at its newest message and follows new ones while the reader is
  // there; a reader scrolled back to older messages is left where they are.
  function followNewest() {
    if (state.stuck && !ui.messages.hidden) ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function hideToast() {
    clearTimeout(state.toastTimer);
    ui.toast.hidden = true;
  }

  // `replay` is the chat's history, fetched on switching to a user: an answer to a button press is
  // a passing popup, not part of the chat, so old ones are not shown again.
  function applyEvent(event, replay = false) {
    const msg = event.message;
    if (event.kind === "message" && msg) {
      const li = renderMessage(msg);
      state.bubbles.set(msg.message_id, li);
      ui.messages.append(li);
      if (msg.sender === "bot" && msg.keyboard) state.dismissedKeyboard = null;
      if (msg.sender === "bot") resetStatus();
      if (msg.sender === "user" && !replay) state.stuck = true; // one's own message is always shown
    } else if (event.kind === "edit" && msg) {
      const old = state.bubbles.get(msg.message_id);
      const box = ui.messages.getBoundingClientRect();
      const seen = old && !ui.messages.hidden && old.getBoundingClientRect().top < box.bottom;
      const li = renderMessage(msg);
      state.bubbles.set(msg.message_id, li);
      if (old) old.replaceWith(li);
      else ui.messages.append(li);
      // An edit that grows a card the reader is looking at (e.g. more buttons) must not push its
      // new part under the input box.
      if (seen && !state.stuck) li.scrollIntoView({ block: "nearest" });
    } else if (event.kind === "delete") {
      const old = state.bubbles.get(event.message_id);
      if (old) old.remove();
      state.bubbles.delete(event.message_id);
    } else if (event.kind === "action") {
      showTyping();
    } else if (event.kind === "callback_answer" && !replay) {
      const answer = event.answer || {};
      if (answer.text) showToast(answer.text, Boolean(answer.show_alert));
    }
  }

  function updateEmpty() {
    const hasMessages = state.bubbles.size > 0;
    ui.empty.hidden = !state.user || hasMessages;
    ui.messages.hidden = !state.user || !hasMessages;
  }

  // --------------------------------------------------------------------- reply keyboards

  function renderKeyboard(markup) {
    const key = JSON.stringify(markup || null);
    state.keyboard = markup || null;
    state.keyboardKey = key;
    const hidden = !markup || !markup.keyboard || state.dismissedKeyboard === key;
    const rendered = `${hidden}|${key}|${lang}`;
    if (rendered === state.renderedKeyboard) return; // unchanged: keep the buttons (and focus) as they are
    state.renderedKeyboard = rendered;
    ui.keyboard.hidden = hidden;
    ui.keyboard.textContent = "";
    if (hidden) return;
    for (const row of markup.keyboard) {
      const line = document.createElement("div");
      line.className = "reply-row";
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        const b = document.createElement("button");
        b.type = "button";
        b.className = "reply-button";
        b.setAttribute("data-testid", "reply-button");
        b.textContent = button.text;
        const special = button.request_contact ? "contact" : button.request_location ? "location" : null;
        if (special) b.classList.add(`request-${special}`);
        const unsupported =
          !special &&
          (button.request_users || button.request_chat || button.request_poll || button.web_app);
        if (unsupported) {
          b.disabled = true;
          b.title = t("unsupported_button");
        }
        b.addEventListener("click", () => pressReply(button, special));
        line.append(b);
      }
      ui.keyboard.append(line);
    }
  }

  async function pressReply(button, special) {
    if (state.keyboard && state.keyboard.one_time_keyboard) {
      state.dismissedKeyboard = state.keyboardKey;
      renderKeyboard(state.keyboard);
    }
    if (special === "contact") await act("contact");
    else if (special === "location") await act("location");
    else await sendText(button.text);
  }

  async function pressInline(msg, button, element) {
    if (button.url) {
      const href = safeUrl(button.url);
      if (href) window.open(href, "_blank", "noopener,noreferrer");
      return;
    }
    if (button.callback_data === undefined) {
      showToast(t("unsupported_button"));
      return;
    }
    element.classList.add("pressed");
    setTimeout(() => element.classList.remove("pressed"), 600);
    await act("press", { text: button.text, callback_data: button.callback_data, message_id: msg.message_id });
  }

  // ------------------------------------------------------------------------ sending

  async function sendText(text) {
    const value = String(text || "").trim();
    if (!value) return;
    await act("send", { text: value });
  }

  // ---------------------------------------------------------------------------- feed

  async function poll(generation, userId) {
    while (generation === state.generation) {
      try {
        const data = await api(`/api/chats/${userId}?since=${state.since}&wait=25`, {
          signal: state.controller.signal,
        });
        if (generation !== state.generation) return;
        const replay = state.since === 0;
        for (const event of data.events) applyEvent(event, replay);
        state.since = data.next;
        renderKeyboard(data.keyboard);
        updateEmpty();
        followNewest();
      } catch (err) {
        if (generation !== state.generation) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  function markSelected(userId) {
    for (const el of ui.people.querySelectorAll(".person")) {
      const selected = el.dataset.userId === String(userId);
      el.setAttribute("aria-pressed", String(selected));
      el.classList.toggle("selected", selected);
    }
  }

  function selectUser(button) {
    if (state.controller) state.controller.abort();
    state.generation += 1;
    state.controller = new AbortController();
    state.user = { id: Number(button.dataset.userId), name: button.dataset.name, role: button.dataset.role };
    state.since = 0;
    state.bubbles.clear();
    state.dismissedKeyboard = null;
    state.stuck = true;
    ui.messages.textContent = "";
    renderKeyboard(null);
    resetStatus();
    hideToast(); // a popup belongs to the chat it came from
    markSelected(state.user.id);
    ui.pickPrompt.hidden = true;
    ui.composer.hidden = false;
    ui.currentUser.hidden = false;
    ui.currentName.textContent = state.user.name;
    ui.currentRole.textContent = t(`role_${state.user.role}`);
    history.replaceState(null, "", `#user=${state.user.id}`);
    document.body.dataset.userId = String(state.user.id);
    updateEmpty();
    poll(state.generation, state.user.id);
    ui.input.focus();
  }

  function personButton(person) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "person";
    button.setAttribute("data-testid", `person-${person.id}`);
    button.dataset.userId = String(person.id);
    button.dataset.role = person.role;
    button.dataset.name = person.name;
    button.setAttribute("aria-pressed", "false");
    const avatar = document.createElement("span");
    avatar.className = `avatar avatar-${person.role}`;
    avatar.setAttribute("aria-hidden", "true");
    avatar.textContent = Array.from(person.name)[0] || "?";
    const text = document.createElement("span");
    text.className = "person-text";
    const name = document.createElement("span");
    name.className = "person-name";
    name.textContent = person.name;
    text.append(name);
    button.append(avatar, text);
    return button;
  }

  // -------------------------------------------------------------------------- wiring

  ui.people.addEventListener("click", (e) => {
    const button = e.target.closest(".person");
    if (button) selectUser(button);
  });

  ui.visitorForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const person = await post("/api/visitors", {
        name: ui.visitorName.value,
        language_code: lang === "en" ? "en" : "zh-hans",
      });
      const li = document.createElement("li");
      const button = personButton(person);
      li.append(button);
      ui.visitorList.append(li);
      ui.visitorName.value = "";
      selectUser(button);
    } catch (err) {
      showToast(`${t("error")}: ${err.message}`, true);
    }
  });

  ui.composer.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = "";
    await sendText(text);
  });

  // --------------------------------------------------------------------- photos and files

  function dataBase64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  // As Telegram's "compress images": an image goes as a photo, scaled to 1280 px and made a JPEG.
  async function compressed(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // a transparent PNG on white, as JPEG has no transparency
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("JPEG"))), "image/jpeg", 0.87),
    );
  }

  async function sendFile(file, caption) {
    if (PHOTO_TYPES.has(file.type)) {
      let photo = null;
      try {
        photo = await compressed(file);
      } catch (_) {
        photo = null; // not an image the browser can read: it goes as a file
      }
      if (photo) return act("upload", { kind: "photo", data: await dataBase64(photo), caption });
    }
    if (file.size > MAX_DOCUMENT_BYTES) {
      showToast(`${t("error")}: ${t("file_too_large")}`, true);
      return null;
    }
    return act("upload", {
      kind: "document",
      data: await dataBase64(file),
      file_name: file.name,
      mime_type: file.type,
      caption,
    });
  }

  ui.photo.addEventListener("click", () => ui.fileInput.click());
  ui.fileInput.addEventListener("change", async () => {
    const files = Array.from(ui.fileInput.files || []);
    ui.fileInput.value = ""; // picking the same file again still sends it
    if (!files.length) return;
    const caption = ui.input.value.trim();
    ui.input.value = "";
    for (const [i, file] of files.entries()) await sendFile(file, i === 0 && caption ? caption : undefined);
  });
  ui.messages.addEventListener("scroll", () => {
    state.stuck = nearBottom();
  });
  // The messages pane shrinks when a reply keyboard opens or grows: keep the newest message in view.
  new ResizeObserver(followNewest).observe(ui.messages);
  for (const el of document.querySelectorAll("[data-clock-step]")) {
    el.addEventListener("click", () => advanceClock(el));
  }
  if (ui.clockNow) setInterval(renderClock, 20000);
  ui.location.addEventListener("click", () => act("location"));
  ui.startButton.addEventListener("click", () => sendText("/start"));
  ui.toastClose.addEventListener("click", hideToast);
  for (const el of document.querySelectorAll("[data-ui-lang]")) {
    el.addEventListener("click", () => applyLanguage(el.dataset.uiLang));
  }

  applyLanguage(lang);
  const wanted = /user=(\d+)/.exec(location.hash);
  const preselected = wanted && ui.people.querySelector(`.person[data-user-id="${wanted[1]}"]`);
  if (preselected) selectUser(preselected);
  document.body.dataset.ready = "true";
})();
