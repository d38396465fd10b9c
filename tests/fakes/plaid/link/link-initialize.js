/*
 * A fake Plaid Link web SDK for tests (plaid-upstream.md §3, §4, §12.8). Served by the fake Plaid at
 * /link/v2/stable/link-initialize.js; it talks to the fake-only endpoints on its own origin:
 *   POST /link/fake/session        {link_token}                    -> institutions, update mode, scripted exits
 *   POST /link/fake/complete       {link_token, institution_id}    -> {public_token, metadata}
 *   POST /link/fake/oauth/start    {link_token, institution_id}    -> {redirect_url}
 *   POST /link/fake/oauth/resume   {link_token, received_redirect_uri} -> {public_token, metadata}
 * Errors come back as PlaidError bodies and end the flow with onExit(error, metadata).
 */
(function () {
  "use strict";

  var scriptElement = document.currentScript;
  var ORIGIN = scriptElement && scriptElement.src ? new URL(scriptElement.src).origin : window.location.origin;
  var OVERLAY_ID = "plaid-link-fake";

  function post(path, body) {
    return fetch(ORIGIN + path, {
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

  function create(config) {
    config = config || {};
    var token = config.token;
    var session = null; // the answer of /link/fake/session, or {error} when the token is refused
    var loaded = false;
    var openWhenLoaded = false;
    var destroyed = false;
    var finished = false;
    var selected = null;
    var overlay = null;

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
      if (destroyed || typeof config.onEvent !== "function") return;
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
      config.onEvent(eventName, metadata);
    }

    function close() {
      if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
      overlay = null;
    }

    function exitWith(error, status) {
      if (finished || destroyed) return;
      finished = true;
      if (error) {
        emit("ERROR", {
          error_type: error.error_type,
          error_code: error.error_code,
          error_message: error.error_message,
        });
      }
      emit("EXIT", { exit_status: status });
      close();
      if (typeof config.onExit === "function") {
        config.onExit(error, {
          institution: institutionOf(selected),
          status: status,
          link_session_id: sessionId(),
          request_id: requestId(),
        });
      }
    }

    function succeed(answer) {
      if (finished || destroyed) return;
      finished = true;
      emit("HANDOFF", { view_name: "CONNECTED" });
      close();
      if (typeof config.onSuccess === "function") {
        config.onSuccess(answer.public_token, answer.metadata);
      }
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
      if (!overlay) return;
      var buttons = overlay.querySelectorAll("[data-institution-id]");
      for (var i = 0; i < buttons.length; i++) {
        var isChosen = buttons[i].getAttribute("data-institution-id") === inst.institution_id;
        buttons[i].setAttribute("aria-pressed", isChosen ? "true" : "false");
        buttons[i].style.fontWeight = isChosen ? "bold" : "normal";
      }
    }

    function proceed() {
      if (finished || destroyed) return;
      if (!selected) {
        if (!session.institutions.length) {
          exitWith(null, "institution_not_found");
          return;
        }
        choose(session.institutions[0]);
      }
      var body = { link_token: token, institution_id: selected.institution_id, link_session_id: sessionId() };
      if (selected.oauth) {
        emit("OPEN_OAUTH", { view_name: "OAUTH" });
        post("/link/fake/oauth/start", body).then(
          function (result) {
            if (!result.ok) {
              exitWith(plainError(result.body), "requires_oauth");
              return;
            }
            // The bank's page replaces ours; it comes back to redirect_uri?oauth_state_id=...
            (window.top || window).location.href = result.body.redirect_url;
          },
          function (reason) {
            exitWith(networkError(String(reason)), "requires_oauth");
          }
        );
        return;
      }
      emit("SUBMIT_CREDENTIALS", { view_name: "CREDENTIAL" });
      settle(post("/link/fake/complete", body));
    }

    function button(label, onClick) {
      var element = document.createElement("button");
      element.type = "button";
      element.textContent = label;
      element.style.margin = "4px";
      element.addEventListener("click", onClick);
      return element;
    }

    function render() {
      close();
      overlay = document.createElement("div");
      overlay.id = OVERLAY_ID;
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", "Plaid Link (fake)");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.5);display:flex;" +
        "align-items:center;justify-content:center;font-family:sans-serif";
      var panel = document.createElement("div");
      panel.style.cssText = "background:#fff;padding:16px;min-width:280px;border-radius:8px";
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
        item.style.display = "block";
        list.appendChild(item);
      });
      panel.appendChild(list);
      panel.appendChild(button("Continue", proceed));
      panel.appendChild(
        button("Exit", function () {
          exitWith(null, "requires_credentials");
        })
      );
      overlay.appendChild(panel);
      document.body.appendChild(overlay);
    }

    function resumeOAuth() {
      emit("OPEN", { view_name: "OAUTH" });
      settle(
        post("/link/fake/oauth/resume", {
          link_token: token,
          received_redirect_uri: config.receivedRedirectUri,
          link_session_id: sessionId(),
        })
      );
    }

    function reallyOpen() {
      if (destroyed || finished) return;
      if (session.error) {
        emit("OPEN", {});
        exitWith(session.error, null);
        return;
      }
      if (config.receivedRedirectUri) {
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

    post("/link/fake/session", { link_token: token }).then(
      function (result) {
        session = result.ok ? result.body : { error: plainError(result.body), request_id: result.body.request_id };
      },
      function (reason) {
        session = { error: networkError(String(reason)) };
      }
    ).then(function () {
      loaded = true;
      if (destroyed) return;
      if (typeof config.onLoad === "function") config.onLoad();
      if (openWhenLoaded) reallyOpen();
    });

    return {
      open: function () {
        if (loaded) reallyOpen();
        else openWhenLoaded = true; // open() before load is deferred until load (§3)
      },
      exit: function (options) {
        if (options && options.force) {
          close();
        }
        exitWith(null, "requires_credentials");
      },
      destroy: function () {
        destroyed = true;
        close();
      },
      submit: function () {
        // Returning-user prompts ({phone_number} / {date_of_birth}) do not exist in the fake.
      },
    };
  }

  window.Plaid = {
    create: create,
    createEmbedded: function (config) {
      return create(config);
    },
  };
})();
