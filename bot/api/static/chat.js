// Pathfinder chat page: posts to Rasa's REST webhook and renders the answers.
// Safety rule: text from the bot or the learner is only ever set with textContent (never
// innerHTML), and links only get http(s) URLs.
"use strict";

(function () {
  const LABELS = {
    en: {
      message: "Your message", send: "Send", typing: "Pathfinder is typing…",
      unreachable: "I cannot reach the assistant right now. Please try again in a moment.",
      intro: "Find short programs (micro-credentials) in Ontario. Tell me your job and what you want to learn.",
      conversation: "Conversation", programs: "Programs", for: "For",
      cost: "Cost", hours: "hours", weeks: "weeks", online: "online",
      wage: "Wages", median: "median", low: "low", high: "high", hour: "an hour", year: "a year",
      outlook: "Job outlook", source: "Source", open: "Open the program page",
    },
    fr: {
      message: "Votre message", send: "Envoyer", typing: "Pathfinder écrit…",
      unreachable: "Je ne peux pas joindre l'assistant pour le moment. Veuillez réessayer dans un moment.",
      intro: "Trouvez des formations courtes (microcertifications) en Ontario. Dites-moi votre métier et ce que vous voulez apprendre.",
      conversation: "Conversation", programs: "Formations", for: "Pour",
      cost: "Coût", hours: "heures", weeks: "semaines", online: "en ligne",
      wage: "Salaires", median: "médian", low: "bas", high: "élevé", hour: "de l'heure", year: "par année",
      outlook: "Perspectives d'emploi", source: "Source", open: "Ouvrir la page de la formation",
    },
  };

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const statusLine = document.getElementById("status");
  let lang = "en";

  function meta(name) {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.getAttribute("content") || "" : "";
  }

  function webhookUrl() {
    const explicit = meta("pathfinder-webhook");
    if (explicit && !explicit.startsWith("{{")) return explicit;
    const port = /^\d+$/.test(meta("pathfinder-rasa-port")) ? meta("pathfinder-rasa-port") : "5005";
    const host = location.hostname || "localhost";
    return `${location.protocol === "https:" ? "https:" : "http:"}//${host}:${port}/webhooks/rest/webhook`;
  }

  function senderId() {
    const key = "pathfinder.sender";
    let id = null;
    try { id = localStorage.getItem(key); } catch (e) { /* storage disabled */ }
    if (!id) {
      id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : "web-" + Date.now().toString(36) + Math.random().toString(36).slice(2);
      try { localStorage.setItem(key, id); } catch (e) { /* keep it for this page only */ }
    }
    return id;
  }

  function t(key) { return (LABELS[lang] || LABELS.en)[key]; }

  function setLanguage(newLang) {
    if (!LABELS[newLang] || newLang === lang) return;
    lang = newLang;
    document.documentElement.lang = lang;
    document.getElementById("message-label").textContent = t("message");
    document.getElementById("send").textContent = t("send");
    document.getElementById("intro").textContent = t("intro");
    log.setAttribute("aria-label", t("conversation"));
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function scrollDown() { window.scrollTo(0, document.body.scrollHeight); }

  function addBubble(who, text) {
    log.appendChild(el("div", `msg ${who}`, text));
    scrollDown();
  }

  function money(amount, currency) {
    if (typeof amount !== "number") return "";
    try {
      return new Intl.NumberFormat(`${lang}-CA`, { style: "currency", currency: currency || "CAD",
        maximumFractionDigits: amount % 1 === 0 ? 0 : 2 }).format(amount);
    } catch (e) { return `${amount} ${currency || ""}`.trim(); }
  }

  function number(value) {
    return typeof value === "number" ? new Intl.NumberFormat(`${lang}-CA`).format(value) : "";
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(String(url), location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) { return null; }
  }

  function renderButtons(buttons) {
    const box = el("div", "buttons");
    box.setAttribute("role", "group");
    for (const b of buttons) {
      if (!b || typeof b.payload !== "string") continue;
      const button = el("button", null, b.title || b.payload);
      button.type = "button";
      button.addEventListener("click", () => send(b.payload, b.title || b.payload));
      box.appendChild(button);
    }
    log.appendChild(box);
  }

  function occupationLine(occ) {
    return occ && occ.title ? `${occ.title}${occ.noc ? ` (NOC ${occ.noc})` : ""}` : "";
  }

  function renderRecommendations(data) {
    setLanguage(data.lang);
    const section = el("section", "cards");
    const target = occupationLine(data.target_occupation) || occupationLine(data.occupation);
    section.appendChild(el("h2", "muted", target ? `${t("programs")} — ${t("for")}: ${target}` : t("programs")));
    for (const p of Array.isArray(data.programs) ? data.programs : []) {
      const card = el("article", "card");
      const heading = el("h3");
      const href = safeUrl(p.url);
      if (href) {
        const link = el("a", null, p.title);
        link.href = href;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        link.setAttribute("aria-label", `${p.title} — ${t("open")}`);
        heading.appendChild(link);
      } else {
        heading.textContent = p.title || "";
      }
      card.appendChild(heading);
      card.appendChild(el("p", "muted", p.institution));
      const facts = [`${t("cost")}: ${money(p.cost, p.currency)}`];
      if (typeof p.hours === "number") facts.push(`${number(p.hours)} ${t("hours")}`);
      if (typeof p.weeks === "number") facts.push(`${number(p.weeks)} ${t("weeks")}`);
      if (p.delivery) facts.push(p.delivery === "online" ? t("online") : p.delivery);
      if (p.language) facts.push(String(p.language).toUpperCase());
      card.appendChild(el("p", null, facts.join(" · ")));
      if (p.why) card.appendChild(el("p", null, p.why));
      section.appendChild(card);
    }
    const w = data.wage;
    if (w) {
      const unit = w.unit === "hour" ? t("hour") : w.unit === "year" ? t("year") : (w.unit || "");
      const box = el("div", "facts");
      box.appendChild(el("p", null,
        `${t("wage")} (${w.region}, ${w.year}): ${t("median")} ${money(w.median, "CAD")} ${unit}` +
        ` — ${t("low")} ${money(w.low, "CAD")}, ${t("high")} ${money(w.high, "CAD")}`));
      box.appendChild(el("p", "muted", `${t("source")}: ${w.source}`));
      section.appendChild(box);
    }
    const o = data.outlook;
    if (o) {
      const box = el("div", "facts");
      box.appendChild(el("p", null, `${t("outlook")} ${o.period} (${o.region}): ${o.label}`));
      box.appendChild(el("p", "muted", `${t("source")}: ${o.source}`));
      section.appendChild(box);
    }
    log.appendChild(section);
  }

  function render(message) {
    if (typeof message.text === "string" && message.text) addBubble("bot", message.text);
    if (Array.isArray(message.buttons) && message.buttons.length) renderButtons(message.buttons);
    const custom = message.custom;
    if (custom && custom.type === "recommendations") renderRecommendations(custom);
    scrollDown();
  }

  async function send(text, shown) {
    addBubble("user", shown || text);
    statusLine.textContent = t("typing");
    try {
      const response = await fetch(webhookUrl(), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: senderId(), message: text }),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const messages = await response.json();
      statusLine.textContent = "";
      for (const m of Array.isArray(messages) ? messages : []) render(m);
    } catch (e) {
      statusLine.textContent = t("unreachable");
    }
  }

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

  // Expose the renderer for tests in a real browser.
  window.pathfinderChat = { render, webhookUrl, senderId };
})();
