// Pathfinder web widget: one <script> tag on a portal's page adds a chat button and panel.
//
//   <script>
//     window.PathfinderWidget = { serverUrl: "https://pathfinder.example.org",
//                                 language: "fr", title: "Pathfinder",
//                                 colours: { accent: "#1f5fbf" } };   // all optional
//   </script>
//   <script src="https://pathfinder.example.org/widget/pathfinder-widget.js" defer></script>
//
// Transport: plain REST to the Pathfinder web app (serverUrl, by default where this script
// came from), which relays to Rasa's REST channel. Not socket.io: its browser client must
// match the server's protocol versions, it needs sticky sessions, and it failed under load
// where REST did not (see bot/api/routers/conversations.py for the whole reasoning).
// Each message carries a random id and is sent once more with it when no answer came back:
// the server stores a message once per id, so the resend cannot run the turn twice.
// The conversation id (random, 128 bits) is kept in localStorage; after a reload the
// transcript comes back from the server (GET /api/conversations/{id}/messages). It is the
// only key to the transcript, so it never goes into a link: program links carry the `ref`
// the server's answers give (a pseudonym derived from the id with the server's secret).
//
// Safety: text from the bot or the learner is only ever set with textContent (never
// innerHTML), and program links always point to the server's /go/{id} redirect, never to a
// URL taken from a message. ES2017, no dependencies, no build step.
"use strict";

(function () {
  if (window.__pathfinderWidget) return; // pasted twice: one widget
  window.__pathfinderWidget = true;

  const STRINGS = {
    en: {
      open: "Ask Pathfinder", close: "Close the chat", intro:
        "Tell me your job and what you want to learn. I will suggest short programs (micro-credentials) in Ontario.",
      conversation: "Conversation", message: "Your message", send: "Send",
      typing: "Pathfinder is typing…", you: "You:", bot: "Pathfinder:",
      unreachable: "I cannot reach the assistant right now. Please try again in a moment.",
      other: "Français", otherCode: "fr", switchTo: "Passer au français",
      programs: "Programs", programsFor: "Programs for {job}", institution: "Institution",
      closest: "The closest programs",
      cost: "Cost", length: "Length", delivery: "Delivery", language: "Language",
      hours: "{n} hours", weeks: "{n} weeks", free: "Free",
      visit: "Visit the program page", newTab: "opens in a new tab",
      wages: "Wages in {region}", wagesFor: "Wages for {job} in {region}",
      low: "Low", median: "Median", high: "High",
      perHour: "an hour", perYear: "a year", wageUnit: "Dollars {unit}.",
      wageText: "{what}, {year}: low {low}, median {median}, high {high} {unit}.",
      outlook: "Job outlook {period}, {region}", source: "Source: {source}",
      shortage: "more jobs than job seekers are expected",
      balance: "jobs and job seekers are expected to be in balance",
      surplus: "more job seekers than jobs are expected",
    },
    fr: {
      open: "Demandez à Pathfinder", close: "Fermer le clavardage", intro:
        "Dites-moi votre métier et ce que vous voulez apprendre. Je vous proposerai des formations courtes (microcertifications) en Ontario.",
      conversation: "Conversation", message: "Votre message", send: "Envoyer",
      typing: "Pathfinder écrit…", you: "Vous :", bot: "Pathfinder :",
      unreachable: "Je ne peux pas joindre l'assistant pour le moment. Veuillez réessayer dans un moment.",
      other: "English", otherCode: "en", switchTo: "Switch to English",
      programs: "Formations", programsFor: "Formations pour {job}", institution: "Établissement",
      closest: "Les formations les plus proches",
      cost: "Coût", length: "Durée", delivery: "Mode", language: "Langue",
      hours: "{n} heures", weeks: "{n} semaines", free: "Gratuit",
      visit: "Voir la page de la formation", newTab: "s'ouvre dans un nouvel onglet",
      wages: "Salaires, {region}", wagesFor: "Salaires pour {job}, {region}",
      low: "Bas", median: "Médian", high: "Élevé",
      perHour: "de l'heure", perYear: "par année", wageUnit: "Dollars {unit}.",
      wageText: "{what}, {year} : bas {low}, médian {median}, élevé {high} {unit}.",
      outlook: "Perspectives d'emploi {period}, {region}", source: "Source : {source}",
      shortage: "on prévoit plus d'emplois que de chercheurs d'emploi",
      balance: "on prévoit un équilibre entre emplois et chercheurs d'emploi",
      surplus: "on prévoit plus de chercheurs d'emploi que d'emplois",
    },
  };
  const KEYS = { sender: "pathfinder.sender", lang: "pathfinder.lang", open: "pathfinder.open" };

  // --- configuration -----------------------------------------------------------------------
  const config = (typeof window.PathfinderWidget === "object" && window.PathfinderWidget) || {};
  const script = document.currentScript;
  const scriptUrl = new URL(script && script.src ? script.src : "widget/pathfinder-widget.js",
    location.href);
  const serverUrl = String(config.serverUrl || scriptUrl.origin).replace(/\/+$/, "");
  const title = typeof config.title === "string" && config.title.trim()
    ? config.title.trim() : "Pathfinder";

  const storage = {
    get(key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
  };

  function initialLanguage() {
    const stored = storage.get(KEYS.lang);
    if (stored === "en" || stored === "fr") return stored;
    if (config.language === "en" || config.language === "fr") return config.language;
    return String(document.documentElement.lang || "").toLowerCase().startsWith("fr") ? "fr" : "en";
  }

  let lang = initialLanguage();
  let sender = storage.get(KEYS.sender);
  if (sender && !/^web-[0-9a-f]{32}$/.test(sender)) sender = null;

  function randomHex() { // 128 random bits as 32 hex digits
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function senderId() {
    if (!sender) {
      sender = "web-" + randomHex();
      storage.set(KEYS.sender, sender);
    }
    return sender;
  }

  function t(key, values) {
    const text = (STRINGS[lang] || STRINGS.en)[key];
    return text.replace(/\{(\w+)\}/g, (all, name) =>
      values && values[name] !== undefined && values[name] !== null ? String(values[name]) : "");
  }

  // --- DOM helpers (text only) -------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function srOnly(text) { return el("span", "pfw-sr-only", text); }

  function hiddenFromReaders(node) { node.setAttribute("aria-hidden", "true"); return node; }

  // --- the widget's frame ------------------------------------------------------------------
  const css = el("link");
  css.rel = "stylesheet";
  css.href = new URL("pathfinder-widget.css", scriptUrl).href;
  document.head.appendChild(css);

  const root = el("div", "pfw");
  root.id = "pathfinder-widget";
  applyColours(root, config.colours || config.colors);

  const launcher = el("button", "pfw-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "pfw-panel");

  const panel = el("section", "pfw-panel");
  panel.id = "pfw-panel";
  panel.hidden = true;
  panel.setAttribute("aria-labelledby", "pfw-title");

  const header = el("div", "pfw-header");
  const heading = el("h2", "pfw-title", title);
  heading.id = "pfw-title";
  const langButton = el("button", "pfw-lang");
  langButton.type = "button";
  const closeButton = el("button", "pfw-close");
  closeButton.type = "button";
  closeButton.appendChild(hiddenFromReaders(el("span", null, "×")));
  const closeLabel = srOnly("");
  closeButton.appendChild(closeLabel);
  header.append(heading, langButton, closeButton);

  const intro = el("p", "pfw-intro");
  const log = el("div", "pfw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.tabIndex = 0; // a scrollable region must be reachable by keyboard
  const status = el("p", "pfw-status");
  status.setAttribute("role", "status");
  const typingText = el("span", null, "");
  const dots = hiddenFromReaders(el("span", "pfw-dots"));
  dots.append(el("span"), el("span"), el("span"));
  status.append(dots, typingText);

  const form = el("form", "pfw-composer");
  form.setAttribute("autocomplete", "off");
  const label = el("label", "pfw-label");
  label.htmlFor = "pfw-message";
  const input = el("textarea", "pfw-input");
  input.id = "pfw-message";
  input.name = "message";
  input.rows = 2;
  input.maxLength = 5000;
  const sendButton = el("button", "pfw-send");
  sendButton.type = "submit";
  const row = el("div", "pfw-row");
  row.append(input, sendButton);
  form.append(label, row);

  panel.append(header, intro, log, status, form);
  root.append(launcher, panel);

  function applyStrings() {
    root.lang = lang;
    launcher.textContent = t("open");
    langButton.textContent = t("other");
    langButton.lang = t("otherCode");
    langButton.setAttribute("aria-label", t("switchTo"));
    closeLabel.textContent = t("close");
    intro.textContent = t("intro");
    log.setAttribute("aria-label", t("conversation"));
    label.textContent = t("message");
    sendButton.textContent = t("send");
    if (typingText.textContent) typingText.textContent = t("typing");
  }

  function setLanguage(newLang) {
    if ((newLang !== "en" && newLang !== "fr") || newLang === lang) return;
    lang = newLang;
    storage.set(KEYS.lang, lang);
    applyStrings();
  }

  // --- colours -----------------------------------------------------------------------------
  function luminance(hex) {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
    if (!m) return null;
    const h = m[1].length === 3 ? m[1].replace(/./g, "$&$&") : m[1];
    const channel = (i) => {
      const c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  }

  function applyColours(node, colours) {
    if (!colours || typeof colours !== "object") return;
    const accent = typeof colours.accent === "string" ? colours.accent.trim() : "";
    const lum = luminance(accent);
    if (lum === null) return; // only #rgb / #rrggbb: the text colour is computed from it
    node.style.setProperty("--pfw-accent", accent);
    // White or near-black text, whichever contrasts more with the accent (WCAG formula).
    const onAccent = (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) ? "#ffffff" : "#111111";
    node.style.setProperty("--pfw-on-accent", onAccent);
  }

  // --- rendering ---------------------------------------------------------------------------
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(who, text) {
    const node = el("div", `pfw-msg pfw-${who}`);
    node.appendChild(srOnly(t(who === "user" ? "you" : "bot") + " "));
    node.appendChild(el("span", null, text));
    log.appendChild(node);
    intro.hidden = true; // the conversation has started: room for it
  }

  // cents: always two decimals (wages: 17.20 next to 31.00, not 31); else only when needed.
  function money(amount, currency, cents) {
    if (typeof amount !== "number") return "";
    if (amount === 0 && !cents) return t("free");
    try {
      return new Intl.NumberFormat(`${lang}-CA`, { style: "currency", currency: currency || "CAD",
        minimumFractionDigits: cents || amount % 1 !== 0 ? 2 : 0, maximumFractionDigits: 2,
      }).format(amount);
    } catch (e) { return `${amount} ${currency || ""}`.trim(); }
  }

  function number(value) {
    return new Intl.NumberFormat(`${lang}-CA`, { maximumFractionDigits: 1 }).format(value);
  }

  // The conversation's pseudonym for links, from the server's latest answer (none yet, or
  // a server without a secret key: the click is then counted for no conversation).
  let ref = null;

  function takeRef(answer) {
    if (typeof answer.ref === "string" && /^[0-9a-f]{32}$/.test(answer.ref)) ref = answer.ref;
  }

  function goLink(programId) {
    const query = ref ? `channel=web&ref=${ref}` : "channel=web";
    return `${serverUrl}/go/${encodeURIComponent(programId)}?${query}`;
  }

  function renderButtons(buttons) {
    const group = el("div", "pfw-buttons");
    group.setAttribute("role", "group");
    for (const b of buttons) {
      if (!b || typeof b.payload !== "string") continue;
      const shown = b.title || b.payload;
      const button = el("button", "pfw-choice", shown);
      button.type = "button";
      button.addEventListener("click", () => send(b.payload, shown));
      group.appendChild(button);
    }
    log.appendChild(group);
  }

  function fact(list, term, value) {
    if (!value) return;
    list.append(el("dt", null, term), el("dd", null, value));
  }

  // A code's label as the payload gives it; the code itself from an older server.
  function labelOf(label, code) {
    return typeof label === "string" && label ? label : typeof code === "string" ? code : "";
  }

  function programCard(p) {
    const card = el("li", "pfw-card");
    card.appendChild(el("h4", "pfw-card-title", p.title));
    const facts = el("dl", "pfw-facts");
    fact(facts, t("institution"), p.institution);
    fact(facts, t("cost"), money(p.cost, p.currency));
    const length = [];
    if (typeof p.hours === "number") length.push(t("hours", { n: number(p.hours) }));
    if (typeof p.weeks === "number") length.push(t("weeks", { n: number(p.weeks) }));
    fact(facts, t("length"), length.join(" · "));
    // The payload gives each code's label in the conversation's language (knowledge.vocabulary).
    fact(facts, t("delivery"), labelOf(p.delivery_label, p.delivery));
    fact(facts, t("language"), labelOf(p.language_label, p.language));
    card.appendChild(facts);
    if (p.why) card.appendChild(el("p", "pfw-why", p.why));
    if (typeof p.id === "string" && p.id) {
      const link = el("a", "pfw-link", t("visit"));
      link.href = goLink(p.id);
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.appendChild(srOnly(` (${[p.title, p.institution].filter(Boolean).join(", ")}; ${t("newTab")})`));
      card.appendChild(link);
    }
    return card;
  }

  function wageFigure(w, job) {
    const box = el("figure", "pfw-wage");
    const unit = w.unit === "hour" ? t("perHour") : w.unit === "year" ? t("perYear") : "";
    // The figure is the only place a client that shows cards gets the wage (the bot sends
    // it no wage text): the region and the unit are on screen, not only for screen readers.
    const what = job ? t("wagesFor", { job, region: w.region }) : t("wages", { region: w.region });
    box.appendChild(el("figcaption", "pfw-figure-title", what));
    const figures = [w.low, w.median, w.high].filter((v) => typeof v === "number");
    if (figures.length) {
      // The picture: the low-high range on a scale from 0, the median as a marker.
      const top = Math.max(...figures) * 1.1;
      const pct = (v) => `${Math.max(0, Math.min(100, (v / top) * 100)).toFixed(1)}%`;
      const bar = hiddenFromReaders(el("div", "pfw-bar"));
      const low = typeof w.low === "number" ? w.low : Math.min(...figures);
      const high = typeof w.high === "number" ? w.high : Math.max(...figures);
      const range = el("span", "pfw-bar-range");
      range.style.left = pct(low);
      range.style.width = `calc(${pct(high)} - ${pct(low)})`;
      bar.appendChild(range);
      if (typeof w.median === "number") {
        const marker = el("span", "pfw-bar-median");
        marker.style.left = pct(w.median);
        bar.appendChild(marker);
      }
      box.appendChild(bar);
      const labels = hiddenFromReaders(el("div", "pfw-bar-labels"));
      for (const [key, value] of [["low", w.low], ["median", w.median], ["high", w.high]]) {
        if (typeof value !== "number") continue;
        const item = el("span", `pfw-bar-${key}-label`);
        item.append(el("span", "pfw-bar-key", t(key)), el("strong", null, money(value, "CAD", true)));
        labels.appendChild(item);
      }
      box.appendChild(labels);
      if (unit) box.appendChild(hiddenFromReaders(el("p", "pfw-hint", t("wageUnit", { unit }))));
    }
    // The same figures as a sentence, for screen readers.
    box.appendChild(srOnly(t("wageText", {
      what, year: w.year, unit, low: money(w.low, "CAD", true),
      median: money(w.median, "CAD", true), high: money(w.high, "CAD", true) })));
    const source = [w.source, w.year].filter(Boolean).join(", ");
    if (source) box.appendChild(el("p", "pfw-source", t("source", { source })));
    return box;
  }

  function outlookBadge(o) {
    const box = el("div", "pfw-outlook");
    const rating = String(o.rating || "");
    const kind = rating.startsWith("shortage") ? "shortage"
      : rating.startsWith("surplus") ? "surplus" : "balance";
    box.appendChild(el("p", "pfw-figure-title", t("outlook", { period: o.period, region: o.region })));
    const badge = el("p", `pfw-badge pfw-badge-${kind}`);
    badge.appendChild(hiddenFromReaders(el("span", "pfw-badge-icon",
      kind === "shortage" ? "▲" : kind === "surplus" ? "▼" : "●")));
    badge.appendChild(el("span", null, o.label || rating));
    box.appendChild(badge);
    box.appendChild(el("p", "pfw-hint", t(kind)));
    if (o.source) box.appendChild(el("p", "pfw-source", t("source", { source: o.source })));
    return box;
  }

  function jobName(occupation) {
    return occupation && occupation.title ? occupation.title : "";
  }

  function renderRecommendations(data) {
    if (data.lang) setLanguage(data.lang);
    const section = el("section", "pfw-recs");
    const job = jobName(data.target_occupation) || jobName(data.occupation);
    const fitting = Array.isArray(data.programs) ? data.programs : [];
    // When none fits every constraint, the closest ones (the text said what blocks).
    const closest = !fitting.length && Array.isArray(data.alternatives) ? data.alternatives : [];
    const programs = fitting.length ? fitting : closest;
    const title = closest.length ? t("closest") : job ? t("programsFor", { job }) : t("programs");
    section.appendChild(el("h3", "pfw-recs-title", title));
    if (programs.length) {
      const list = el("ul", "pfw-cards");
      for (const p of programs) if (p && typeof p === "object") list.appendChild(programCard(p));
      section.appendChild(list);
    }
    if (data.wage && typeof data.wage === "object") section.appendChild(wageFigure(data.wage, job));
    if (data.outlook && typeof data.outlook === "object") section.appendChild(outlookBadge(data.outlook));
    log.appendChild(section);
  }

  function render(message) {
    if (!message || typeof message !== "object") return;
    if (message.sender === "user") {
      if (typeof message.text === "string") bubble("user", message.text);
      return;
    }
    if (typeof message.text === "string" && message.text) bubble("bot", message.text);
    if (Array.isArray(message.buttons) && message.buttons.length) renderButtons(message.buttons);
    const custom = message.custom;
    if (custom && custom.type === "recommendations") renderRecommendations(custom);
  }

  // --- talking to the server ---------------------------------------------------------------
  function messagesUrl() {
    return `${serverUrl}/api/conversations/${encodeURIComponent(senderId())}/messages`;
  }

  function setTyping(on) {
    typingText.textContent = on ? t("typing") : "";
    status.className = on ? "pfw-status pfw-typing" : "pfw-status";
  }

  let queue = Promise.resolve(); // one turn at a time, in the order they were sent

  // What a server that did not answer gives (a replica restarting, a proxy without one up).
  const RESEND_STATUSES = [502, 503, 504];
  const RESEND_AFTER_MS = 1000;

  // A message goes with an id of its own, and is sent once more with it when no answer came
  // (the connection dropped, or 502-504): the server stores a message once per id and
  // answers the resend as it answered the first, so the learner's turn never runs twice.
  async function post(text) {
    const body = JSON.stringify({ message: text, message_id: randomHex() });
    const attempt = () => fetch(messagesUrl(), {
      method: "POST", headers: { "Content-Type": "application/json" }, body,
    });
    const wait = () => new Promise((resolve) => setTimeout(resolve, RESEND_AFTER_MS));
    let response;
    try {
      response = await attempt();
    } catch (e) { // no answer at all
      await wait();
      return attempt();
    }
    if (!RESEND_STATUSES.includes(response.status)) return response;
    await wait();
    return attempt();
  }

  function send(text, shown) {
    if (shown !== null) bubble("user", shown || text);
    scrollDown();
    setTyping(true);
    queue = queue.then(async () => {
      try {
        const response = await post(text);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const reply = await response.json();
        if (reply.lang) setLanguage(reply.lang);
        takeRef(reply);
        setTyping(false);
        for (const m of Array.isArray(reply.messages) ? reply.messages : []) render(m);
      } catch (e) {
        setTyping(false);
        typingText.textContent = t("unreachable");
      }
      scrollDown();
    });
    return queue;
  }

  async function restore() {
    if (!sender) return; // nothing said yet: no conversation to fetch (and none created)
    log.setAttribute("aria-busy", "true"); // not read out message by message
    try {
      const response = await fetch(messagesUrl());
      if (!response.ok) return;
      const history = await response.json();
      if (history.lang) setLanguage(history.lang);
      takeRef(history);
      for (const m of Array.isArray(history.messages) ? history.messages : []) render(m);
      scrollDown();
    } catch (e) { /* the learner can still start again */ }
    log.removeAttribute("aria-busy");
  }

  // --- opening, closing, keys --------------------------------------------------------------
  function setOpen(open, focusTarget) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    storage.set(KEYS.open, open ? "1" : "0");
    if (focusTarget) focusTarget.focus();
    if (open) scrollDown();
  }

  launcher.addEventListener("click", () => setOpen(true, input));
  closeButton.addEventListener("click", () => setOpen(false, launcher));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false, launcher);
  });
  langButton.addEventListener("click", () => {
    const target = t("otherCode");
    const name = t("other");
    setLanguage(target);
    send(`/change_language{"language":"${target}"}`, name);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function mount() {
    document.body.appendChild(root);
    if (storage.get(KEYS.open) === "1") setOpen(true, null);
    restore();
  }

  applyStrings();
  // Pasted in <head> without `defer`, the script runs before <body> exists.
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
