// Linkgate Connect: drives the link session's JSON steps and tells the app what happens.
// Plain DOM, no dependencies; every string from the server is set as text, never as HTML.
"use strict";

(function () {
  const root = document.getElementById("connect");
  const token = root.dataset.session;
  const csrf = root.dataset.csrf;
  const state = { session: null, institutions: [], institution: null };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "onclick" || key === "onsubmit" || key === "oninput") node[key] = value;
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function show(...children) {
    root.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined));
    const alert = root.querySelector("[role=alert]");
    if (alert) {
      // Screen readers hear the message with the first field it concerns.
      alert.id = "error";
      for (const input of root.querySelectorAll("form input")) {
        input.setAttribute("aria-describedby", "error");
        input.setAttribute("aria-invalid", "true");
      }
    }
    const first = root.querySelector("input, button");
    if (first) first.focus();
  }

  function emit(name, metadata) {
    const target = window.opener || (window.parent !== window ? window.parent : null);
    const redirect = state.session && state.session.redirect_uri;
    let origin = "*";
    try { if (redirect && /^https?:/.test(redirect)) origin = new URL(redirect).origin; } catch (e) { /* keep "*" */ }
    if (target) target.postMessage({ source: "linkgate-connect", event: name, metadata: metadata || {} }, origin);
  }

  async function api(method, path, body) {
    const response = await fetch("/connect/api" + path, {
      method,
      headers: Object.assign({ "Link-Session-Token": token }, method === "POST" ? { "X-CSRF-Token": csrf } : {},
        body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
      cache: "no-store",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = (data && data.error) || {};
      const failure = new Error(error.message || "Something went wrong. Please try again.");
      failure.code = error.code || "error";
      failure.status = response.status;
      throw failure;
    }
    return data;
  }

  function header(title, subtitle) {
    return [el("h1", {}, title), subtitle ? el("p", { class: "muted" }, subtitle) : null];
  }

  function errorBox(message) {
    return message ? el("p", { class: "error", role: "alert" }, message) : null;
  }

  function exitLink() {
    return el("button", { type: "button", class: "link", onclick: () => exit() }, "Cancel");
  }

  function mark(institution) {
    return el("span", { class: "mark", "aria-hidden": "true", "data-color": institution.color || "" }, institution.name.charAt(0));
  }

  function paint(node) {
    // Colours come from data attributes: the CSP forbids inline style attributes.
    for (const item of node.querySelectorAll("[data-color]")) {
      if (item.dataset.color) item.style.backgroundColor = item.dataset.color;
    }
    return node;
  }

  async function render(error) {
    const session = state.session;
    if (session.state === "created") return pickInstitution(error);
    state.institution = session.institution ||
      state.institutions.find((i) => i.institution_id === session.institution_id) || state.institution;
    if (session.state === "institution_selected") {
      error = error || session.handoff_error;
      if (state.institution.handoff === "token") return pasteToken(error);
      if (state.institution.handoff === "widget") return widget(error);
      return state.institution.is_oauth ? consent(error) : credentials(error);
    }
    if (session.state === "mfa_required") return mfa(error);
    if (session.state === "choosing_accounts") return accounts(error);
  }

  function pickInstitution(error, query) {
    const list = el("ul", { class: "banks", "aria-label": "Banks" });
    const search = el("input", { type: "search", id: "search", placeholder: "Search", autocomplete: "off", value: query || "" });
    let shown = null;
    const fill = (items) => {
      // The same banks again (a later keystroke's answer) keep their buttons, so focus stays put.
      const ids = items.map((institution) => institution.institution_id).join(" ");
      if (ids === shown) return;
      shown = ids;
      list.replaceChildren(...items.map((institution) => el("li", {}, paint(el("button", {
        type: "button", class: "bank", "data-institution": institution.institution_id,
        onclick: () => step(() => api("POST", "/session/institution", { institution_id: institution.institution_id }), () => {
          state.institution = institution;
          emit("institution_selected", { institution_id: institution.institution_id, institution_name: institution.name });
        }),
      }, mark(institution), el("span", {}, institution.name))))));
      if (!items.length) list.replaceChildren(el("li", { class: "muted" }, "No bank matches your search."));
    };
    let latest = 0;
    search.oninput = async () => {
      const asked = ++latest;
      const found = await api("GET", "/institutions?query=" + encodeURIComponent(search.value));
      if (asked === latest) fill(found.institutions);  // an earlier keystroke's late answer is stale
    };
    fill(state.institutions);
    show(...header("Select your bank"), errorBox(error),
      el("label", { for: "search" }, "Search for your bank"), search, list, exitLink());
  }

  function credentials(error) {
    const institution = state.institution;
    const fields = institution.credential_fields.map((field) => [
      el("label", { for: "field-" + field.name }, field.label),
      el("input", { id: "field-" + field.name, name: field.name, type: field.secret ? "password" : "text",
        autocomplete: field.secret ? "current-password" : "username", required: "" }),
    ]);
    const form = el("form", { onsubmit: (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      emit("credentials_submitted", { institution_id: institution.institution_id });
      step(() => api("POST", "/session/credentials", { credentials: values }));
    } }, ...fields, el("button", { type: "submit", class: "primary" }, "Continue"));
    show(paint(el("div", {}, mark(institution))), ...header("Log in to " + institution.name,
      "Enter the login you use for " + institution.name + ". Linkgate never shows it to the app."),
      errorBox(error), form, exitLink());
  }

  function pasteToken(error) {
    // Token handoff (SimpleFIN): the end user pastes a token the upstream gave them.
    const institution = state.institution;
    const field = (institution.credential_fields || [])[0] || { name: "token", label: "Token" };
    const form = el("form", { onsubmit: (event) => {
      event.preventDefault();
      const value = new FormData(form).get("token");
      emit("credentials_submitted", { institution_id: institution.institution_id });
      step(() => api("POST", "/session/token", { token: value }));
    } }, el("label", { for: "field-token" }, field.label),
      el("input", { id: "field-token", name: "token", type: "text", autocomplete: "off", spellcheck: "false",
        autocapitalize: "off", required: "" }),
      el("button", { type: "submit", class: "primary" }, "Continue"));
    show(paint(el("div", {}, mark(institution))), ...header("Connect " + institution.name,
      "Paste the " + field.label.toLowerCase() + " " + institution.name + " gave you. Linkgate never shows it to the app."),
      errorBox(error), form, exitLink());
  }

  function consent(error) {
    // Redirect handoff (OAuth banks): the user approves at the bank's own page, which sends them back
    // to Connect's callback; this tab keeps the session so the callback can return here.
    const institution = state.institution;
    show(paint(el("div", {}, mark(institution))), ...header("Continue to " + institution.name,
      "You will approve access at " + institution.name + ", then come back here."),
      errorBox(error),
      el("button", { type: "button", class: "primary", onclick: async () => {
        for (const button of root.querySelectorAll("button")) button.disabled = true;
        try {
          const begun = await api("POST", "/session/handoff");
          window.location.assign(begun.handoff.url);
        } catch (failure) {
          await render(failure.message);
        }
      } }, "Continue to " + institution.name),
      exitLink());
  }

  function widget(error) {
    // Widget handoff (Plaid Link): the upstream's own window opens over Connect and hands back a token.
    const institution = state.institution;
    show(paint(el("div", {}, mark(institution))), ...header("Continue to " + institution.name,
      "You will sign in to " + institution.name + " in a secure window, then come back here."),
      errorBox(error),
      el("button", { type: "button", class: "primary", onclick: async () => {
        for (const button of root.querySelectorAll("button")) button.disabled = true;
        try {
          const begun = await api("POST", "/session/handoff");
          await loadScript(begun.handoff.script_url);
          // An OAuth bank inside the widget sends the end user back to Connect's callback page, which
          // reopens the widget from what this tab kept (widget-return.js).
          try {
            window.sessionStorage.setItem("linkgate-connect-widget",
              JSON.stringify({ script_url: begun.handoff.script_url, options: begun.handoff.options }));
          } catch (e) { /* storage blocked: OAuth banks cannot come back, others are unaffected */ }
          openWidget(begun.handoff.options);
        } catch (failure) {
          await render(failure.message);
        }
      } }, "Continue to " + institution.name),
      exitLink());
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      if (window.Plaid) return resolve();
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error("The sign-in window could not be loaded. Try again."));
      document.head.appendChild(script);
    });
  }

  function openWidget(options) {
    const handler = window.Plaid.create(Object.assign({}, options, {
      onSuccess: (publicToken) => {
        handler.destroy();
        step(() => api("POST", "/session/widget", { public_token: publicToken }));
      },
      onExit: (failure) => {
        handler.destroy();
        render(failure ? (failure.display_message || failure.error_message || "Signing in did not finish.")
          : "You left before finishing. Continue when you are ready.");
      },
    }));
    handler.open();
  }

  function mfa(error) {
    const challenge = state.session.challenge;
    emit("mfa", { kind: challenge.kind });
    const inputs = challenge.prompts.map((prompt) => {
      if (prompt.options && prompt.options.length) {
        return el("fieldset", {}, el("legend", {}, prompt.text), ...prompt.options.map((option, index) =>
          el("label", { class: "choice" }, el("input", { type: "radio", name: prompt.id, value: option, required: "",
            id: prompt.id + "-" + index }), el("span", {}, option))));
      }
      return [el("label", { for: "mfa-" + prompt.id }, prompt.text),
        el("input", { id: "mfa-" + prompt.id, name: prompt.id, type: "text", required: "",
          autocomplete: challenge.kind === "otp" ? "one-time-code" : "off",
          inputmode: challenge.kind === "otp" ? "numeric" : null })];
    });
    const form = el("form", { onsubmit: (event) => {
      event.preventDefault();
      const answers = Object.fromEntries(new FormData(form).entries());
      step(() => api("POST", "/session/mfa", { answers }));
    } }, ...inputs, el("button", { type: "submit", class: "primary" }, "Verify"));
    const title = { otp: "Enter the code we sent", questions: "Answer your security questions",
      selection: "Confirm it is you" }[challenge.kind];
    show(...header(title, state.institution.name + " needs one more step."), errorBox(error), form, exitLink());
  }

  function accounts(error) {
    const products = state.session.products || [];
    const choices = state.session.accounts.map((account) => el("label", { class: "choice" },
      el("input", { type: "checkbox", name: "account", value: account.id, checked: "" }),
      el("span", {}, account.name + (account.mask ? " ••" + account.mask : ""),
        el("br"), el("span", { class: "muted" }, account.type.replace(".", " · ").replace(/_/g, " ")))));
    const form = el("form", { onsubmit: (event) => {
      event.preventDefault();
      const chosen = new FormData(form).getAll("account");
      if (!chosen.length) return render("Choose at least one account.");
      step(() => api("POST", "/session/accounts", { account_ids: chosen }));
    } }, ...choices,
      el("p", { class: "products" }, "The app will read: " + products.join(", ").replace(/_/g, " ") + "."),
      el("button", { type: "submit", class: "primary" }, "Share selected accounts"));
    show(...header("Choose accounts to share", "Only the accounts you select are shared."), errorBox(error), form, exitLink());
  }

  function done(exchangeableToken) {
    emit("success", { exchangeable_token: exchangeableToken, institution_id: state.institution.institution_id });
    const redirect = state.session.redirect_uri;
    show(...header("You're all set", "Your " + state.institution.name + " accounts are linked."),
      el("p", { id: "exchangeable-token", class: "muted", "data-token": exchangeableToken }, "You can close this window."));
    if (redirect) {
      const target = new URL(redirect);
      target.searchParams.set("exchangeable_token", exchangeableToken);
      if (state.session.client_state) target.searchParams.set("state", state.session.client_state);
      window.location.assign(target.toString());
    }
  }

  function returnEvents(events) {
    // Link Money's gateway entry: the link is connected; the app reads the events from its redirect.
    emit("success", { events });
    show(...header("You're all set", "Your " + state.institution.name + " accounts are linked."));
    const target = new URL(state.session.redirect_uri);
    target.searchParams.set("events", JSON.stringify(events));
    window.location.assign(target.toString());
  }

  async function exit() {
    const from = state.session ? state.session.state : "unknown";
    try { await api("POST", "/session/cancel"); } catch (e) { /* already ended: nothing to undo */ }
    emit("exit", { state: from });
    show(...header("Linking cancelled", "Nothing was shared. You can close this window."));
  }

  async function step(call, before) {
    for (const button of root.querySelectorAll("button")) button.disabled = true;
    try {
      const result = await call();
      if (before) before();
      state.session = result;
      if (result.events) return returnEvents(result.events);
      if (result.exchangeable_token) return done(result.exchangeable_token);
      await render();
    } catch (failure) {
      emit("error", { error_code: failure.code, error_message: failure.message });
      if (failure.status === 401) {
        return show(...header("This link has expired", "Go back to the app and start again."));
      }
      await render(failure.message);
    }
  }

  async function start() {
    try { window.sessionStorage.setItem("linkgate-connect-session", token); } catch (e) { /* storage blocked */ }
    try {
      state.session = await api("GET", "/session");
      state.institutions = (await api("GET", "/institutions")).institutions;
      emit("open", { state: state.session.state });
      await render();
    } catch (failure) {
      show(...header("This link has expired", "Go back to the app and start again."));
    }
  }

  start();
})();
