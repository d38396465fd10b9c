// The sandbox's simulated OAuth bank: asks for consent, tells Connect the answer, sends the user back.
"use strict";

(function () {
  const root = document.getElementById("bank");
  const token = root.dataset.session;
  const csrf = root.dataset.csrf;
  const back = "/connect?link_session_token=" + encodeURIComponent(token);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "onclick") node.onclick = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  async function answer(consent) {
    for (const button of root.querySelectorAll("button")) button.disabled = true;
    await fetch("/connect/api/session/credentials", {
      method: "POST",
      headers: { "Link-Session-Token": token, "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ credentials: { consent } }),
      credentials: "omit",
    });
    window.location.assign(back + (consent === "granted" ? "" : "&oauth=denied"));
  }

  async function start() {
    const response = await fetch("/connect/api/institutions", { headers: { "Link-Session-Token": token } });
    if (!response.ok) {
      root.replaceChildren(el("h1", {}, "This link has expired"));
      return;
    }
    const institutions = (await response.json()).institutions;
    const bank = institutions.find((i) => i.institution_id === root.dataset.institution && i.is_oauth);
    if (!bank) {
      root.replaceChildren(el("h1", {}, "Unknown bank"), el("p", { class: "muted" }, "Go back and choose your bank again."));
      return;
    }
    const mark = el("span", { class: "mark", "aria-hidden": "true" }, bank.name.charAt(0));
    if (bank.color) mark.style.backgroundColor = bank.color;
    root.replaceChildren(mark, el("h1", {}, bank.name),
      el("p", { class: "muted" }, "This is " + bank.name + "'s own page (simulated in the sandbox)."),
      el("p", {}, "An app wants to read your accounts and transactions through Linkgate. Allow it?"),
      el("button", { type: "button", class: "primary", onclick: () => answer("granted") }, "Allow"),
      el("button", { type: "button", class: "link", onclick: () => answer("denied") }, "Deny"));
    root.querySelector("button").focus();
  }

  start();
})();
