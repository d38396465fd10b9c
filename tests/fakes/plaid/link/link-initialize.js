/*
 * A fake Plaid Link web SDK for tests (plaid-upstream.md §3, §4, §12.8). Served by the fake Plaid at
 * /link/v2/stable/link-initialize.js. Like Plaid's, it never fetches anything from the host page (whose
 * CSP allows only frames and this script from the fake's origin): open() shows a full-window iframe of
 * the fake's /link/fake/frame page (frame.js), which holds the dialog, calls the fake-only endpoints on
 * its own origin and reports back with postMessage({source: "plaid-link-fake", type, ...}):
 *   {type: "event", event_name, metadata}   -> config.onEvent(event_name, metadata)
 *   {type: "success", public_token, metadata} -> config.onSuccess(public_token, metadata), iframe removed
 *   {type: "exit", error, metadata}         -> config.onExit(error, metadata), iframe removed
 *   {type: "navigate", url}                 -> the host page goes to url (OAuth: redirect_uri?oauth_state_id=)
 * Only messages from the fake's origin and from this handler's own iframe are believed.
 */
(function () {
  "use strict";

  var scriptElement = document.currentScript;
  var ORIGIN = scriptElement && scriptElement.src ? new URL(scriptElement.src).origin : window.location.origin;
  var SOURCE = "plaid-link-fake";
  var TITLE = "Plaid Link";

  function frameUrl(token, receivedRedirectUri) {
    var url = new URL(ORIGIN + "/link/fake/frame");
    url.searchParams.set("token", token || "");
    url.searchParams.set("origin", window.location.origin);
    if (receivedRedirectUri) url.searchParams.set("receivedRedirectUri", receivedRedirectUri);
    return url.toString();
  }

  // The metadata of an event the parent makes itself (an exit() before the frame finished).
  function eventMetadata(context, extra) {
    var metadata = {
      account_number_mask: null,
      error_type: null,
      error_code: null,
      error_message: null,
      exit_status: null,
      institution_id: context.institution ? context.institution.institution_id : null,
      institution_name: context.institution ? context.institution.name : null,
      institution_search_query: null,
      is_update_mode: context.is_update_mode,
      match_reason: null,
      mfa_type: null,
      routing_number: null,
      view_name: null,
      selection: null,
      timestamp: new Date().toISOString(),
      link_session_id: context.link_session_id,
      request_id: context.request_id,
    };
    Object.keys(extra).forEach(function (key) {
      metadata[key] = extra[key];
    });
    return metadata;
  }

  function create(config) {
    config = config || {};
    var destroyed = false;
    var finished = false;
    var iframe = null;
    // What the frame told us so far, for an exit() the parent reports itself.
    var context = {
      institution: null,
      is_update_mode: "no",
      link_session_id: "fake-session-unavailable",
      request_id: "",
    };

    function close() {
      window.removeEventListener("message", onMessage);
      if (iframe && iframe.parentNode) iframe.parentNode.removeChild(iframe);
      iframe = null;
    }

    function remember(metadata) {
      if (!metadata) return;
      if (metadata.institution_id) {
        context.institution = { name: metadata.institution_name, institution_id: metadata.institution_id };
      }
      if (metadata.is_update_mode) context.is_update_mode = metadata.is_update_mode;
      if (metadata.link_session_id) context.link_session_id = metadata.link_session_id;
      if (typeof metadata.request_id === "string") context.request_id = metadata.request_id;
    }

    function emit(eventName, metadata) {
      remember(metadata);
      if (!destroyed && typeof config.onEvent === "function") config.onEvent(eventName, metadata);
    }

    function succeed(publicToken, metadata) {
      if (finished || destroyed) return;
      finished = true;
      close();
      if (typeof config.onSuccess === "function") config.onSuccess(publicToken, metadata);
    }

    function exitWith(error, metadata) {
      if (finished || destroyed) return;
      finished = true;
      close();
      if (typeof config.onExit === "function") config.onExit(error, metadata);
    }

    function onMessage(event) {
      if (!iframe || event.origin !== ORIGIN || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || data.source !== SOURCE || finished || destroyed) return;
      if (data.type === "event") emit(data.event_name, data.metadata);
      else if (data.type === "success") succeed(data.public_token, data.metadata);
      else if (data.type === "exit") exitWith(data.error, data.metadata);
      else if (data.type === "navigate") window.location.assign(data.url); // the bank, then redirect_uri
    }

    function show() {
      iframe = document.createElement("iframe");
      iframe.title = TITLE;
      iframe.src = frameUrl(config.token, config.receivedRedirectUri);
      // CSSOM properties, not a style attribute: the host page's CSP may forbid inline styles.
      var style = iframe.style;
      style.position = "fixed";
      style.top = "0";
      style.left = "0";
      style.width = "100%";
      style.height = "100%";
      style.border = "0";
      style.zIndex = "2147483647";
      style.colorScheme = "normal";
      window.addEventListener("message", onMessage);
      document.body.appendChild(iframe);
    }

    // Plaid calls onLoad once its iframe is ready; the fake's frame loads on open(), so it is ready now.
    setTimeout(function () {
      if (!destroyed && typeof config.onLoad === "function") config.onLoad();
    }, 0);

    return {
      open: function () {
        if (destroyed || finished || iframe) return;
        show();
      },
      exit: function () {
        if (finished || destroyed) return;
        var status = "requires_credentials";
        emit("EXIT", eventMetadata(context, { exit_status: status }));
        exitWith(null, {
          institution: context.institution,
          status: status,
          link_session_id: context.link_session_id,
          request_id: context.request_id,
        });
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
