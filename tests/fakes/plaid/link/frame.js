/*
 * The inside of the fake Plaid Link (served at /link/fake/frame.js for the /link/fake/frame page, which
 * link-initialize.js shows in an iframe). Its URL carries the link token, the host page's origin and,
 * after OAuth, receivedRedirectUri. It calls the fake-only endpoints on its own origin:
 *   POST /link/fake/session        {link_token}                    -> institutions, update mode, scripted exits
 *   POST /link/fake/complete       {link_token, institution_id}    -> {public_token, metadata}
 *   POST /link/fake/oauth/start    {link_token, institution_id}    -> {redirect_url}
 *   POST /link/fake/oauth/resume   {link_token, received_redirect_uri} -> {public_token, metadata}
 * and tells the host page what happened with postMessage({source: "plaid-link-fake", type, ...}) to
 * the host's origin only. Errors come back as PlaidError bodies and end the flow with an exit.
 */
(function () {
  "use strict";

  var SOURCE = "plaid-link-fake";
  var DIALOG_ID = "plaid-link-fake";
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  var hostOrigin = params.get("origin") || "";
  var receivedRedirectUri = params.get("receivedRedirectUri");

  var session = null; // the answer of /link/fake/session, or {error} when the token is refused
  var selected = null;
  var finished = false;
  var dialog = null;

  function tell(message) {
    message.source = SOURCE;
    if (window.parent !== window && hostOrigin) window.parent.postMessage(message, hostOrigin);
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) {
        return { ok: response.ok, body: json };
      });
    });
  }

  function plainError(body) {
    return {
      error_type: body.error_type,
      error_code: body.error_code,
      error_message: body.error_message,
      display_message: body.display_message === undefined ? null : body.display_message,
    };
  }

  function networkError(reason) {
    return {
      error_type: "API_ERROR",
      error_code: "INTERNAL_SERVER_ERROR",
      error_message: "the fake Link could not reach the fake Plaid: " + reason,
      display_message: null,
    };
  }

  function sessionId() {
    return session && session.link_session_id ? session.link_session_id : "fake-session-unavailable";
  }

  function requestId() {
    return session && session.request_id ? session.request_id : "";
  }

  function institutionOf(inst) {
    return inst ? { name: inst.name, institution_id: inst.institution_id } : null;
  }

  function emit(eventName, extra) {
    var metadata = {
      account_number_mask: null,
      error_type: null,
      error_code: null,
      error_message: null,
      exit_status: null,
      institution_id: selected ? selected.institution_id : null,
      institution_name: selected ? selected.name : null,
      institution_search_query: null,
      is_update_mode: session && session.update_mode ? "yes" : "no",
      match_reason: null,
      mfa_type: null,
      routing_number: null,
      view_name: null,
      selection: null,
      timestamp: new Date().toISOString(),
      link_session_id: sessionId(),
      request_id: requestId(),
    };
    extra = extra || {};
    Object.keys(extra).forEach(function (key) {
      metadata[key] = extra[key];
    });
    tell({ type: "event", event_name: eventName, metadata: metadata });
  }

  function exitWith(error, status) {
    if (finished) return;
    finished = true;
    if (error) {
      emit("ERROR", {
        error_type: error.error_type,
        error_code: error.error_code,
        error_message: error.error_message,
      });
    }
    emit("EXIT", { exit_status: status });
    tell({
      type: "exit",
      error: error,
      metadata: {
        institution: institutionOf(selected),
        status: status,
        link_session_id: sessionId(),
        request_id: requestId(),
      },
    });
  }

  function succeed(answer) {
    if (finished) return;
    finished = true;
    emit("HANDOFF", { view_name: "CONNECTED" });
    tell({ type: "success", public_token: answer.public_token, metadata: answer.metadata });
  }

  function settle(promise) {
    promise.then(
      function (result) {
        if (result.ok) succeed(result.body);
        else exitWith(plainError(result.body), null);
      },
      function (reason) {
        exitWith(networkError(String(reason)), null);
      }
    );
  }

  function choose(inst) {
    selected = inst;
    emit("SELECT_INSTITUTION", { view_name: "SELECT_INSTITUTION" });
    var buttons = dialog ? dialog.querySelectorAll("[data-institution-id]") : [];
    for (var i = 0; i < buttons.length; i++) {
      var isChosen = buttons[i].getAttribute("data-institution-id") === inst.institution_id;
      buttons[i].setAttribute("aria-pressed", isChosen ? "true" : "false");
    }
  }

  function startOAuth(body) {
    emit("OPEN_OAUTH", { view_name: "OAUTH" });
    post("/link/fake/oauth/start", body).then(
      function (result) {
        if (!result.ok) {
          exitWith(plainError(result.body), "requires_oauth");
          return;
        }
        // The bank's page replaces the host page; it comes back to redirect_uri?oauth_state_id=...
        tell({ type: "navigate", url: result.body.redirect_url });
      },
      function (reason) {
        exitWith(networkError(String(reason)), "requires_oauth");
      }
    );
  }

  function proceed() {
    if (finished) return;
    if (!selected) {
      if (!session.institutions.length) {
        exitWith(null, "institution_not_found");
        return;
      }
      choose(session.institutions[0]);
    }
    var body = { link_token: token, institution_id: selected.institution_id, link_session_id: sessionId() };
    if (selected.oauth) {
      startOAuth(body);
      return;
    }
    emit("SUBMIT_CREDENTIALS", { view_name: "CREDENTIAL" });
    settle(post("/link/fake/complete", body));
  }

  function button(label, onClick) {
    var element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.addEventListener("click", onClick);
    return element;
  }

  function render() {
    dialog = document.createElement("div");
    dialog.id = DIALOG_ID;
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Plaid Link (fake)");
    var panel = document.createElement("div");
    panel.className = "panel";
    var heading = document.createElement("h2");
    heading.textContent = session.update_mode ? "Reconnect your bank" : "Select your bank";
    panel.appendChild(heading);
    var list = document.createElement("div");
    list.setAttribute("role", "list");
    session.institutions.forEach(function (inst) {
      var item = button(inst.name, function () {
        choose(inst);
      });
      item.setAttribute("data-institution-id", inst.institution_id);
      item.setAttribute("aria-pressed", "false");
      item.setAttribute("role", "listitem");
      list.appendChild(item);
    });
    panel.appendChild(list);
    panel.appendChild(button("Continue", proceed));
    panel.appendChild(
      button("Exit", function () {
        exitWith(null, "requires_credentials");
      })
    );
    dialog.appendChild(panel);
    document.body.appendChild(dialog);
  }

  function resumeOAuth() {
    emit("OPEN", { view_name: "OAUTH" });
    settle(
      post("/link/fake/oauth/resume", {
        link_token: token,
        received_redirect_uri: receivedRedirectUri,
        link_session_id: sessionId(),
      })
    );
  }

  function start() {
    if (session.error) {
      emit("OPEN", {});
      exitWith(session.error, null);
      return;
    }
    if (receivedRedirectUri) {
      resumeOAuth();
      return;
    }
    if (session.exit_error) {
      emit("OPEN", {});
      exitWith(session.exit_error, session.exit_status || null);
      return;
    }
    if (session.exit_status) {
      emit("OPEN", {});
      exitWith(null, session.exit_status);
      return;
    }
    render();
    emit("OPEN", { view_name: "SELECT_INSTITUTION" });
  }

  post("/link/fake/session", { link_token: token })
    .then(
      function (result) {
        session = result.ok ? result.body : { error: plainError(result.body), request_id: result.body.request_id };
      },
      function (reason) {
        session = { error: networkError(String(reason)) };
      }
    )
    .then(start);
})();
