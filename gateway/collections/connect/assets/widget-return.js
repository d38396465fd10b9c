// Back from a bank's own consent page in the middle of an upstream's widget (Plaid Link and an OAuth
// bank): the widget picks up where it left off with this page's address, hands its token to Connect's
// session, and the end user continues in Connect. Anything amiss returns to Connect, which says where
// the session stands.
"use strict";

(function () {
  function read(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }
  const token = read("linkgate-connect-session");
  let widget = null;
  try { widget = JSON.parse(read("linkgate-connect-widget") || "null"); } catch (e) { widget = null; }
  function back() {
    window.location.replace("/connect?link_session_token=" + encodeURIComponent(token || ""));
  }
  if (!token || !widget || !widget.script_url) return back();

  async function finish(publicToken) {
    const headers = { "Link-Session-Token": token };
    const session = await fetch("/connect/api/session", { headers }).then((response) => response.json());
    await fetch("/connect/api/session/widget", {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token }, headers),
      body: JSON.stringify({ public_token: publicToken }),
    });
    back();
  }

  const script = document.createElement("script");
  script.src = widget.script_url;
  script.onerror = back;
  script.onload = () => {
    const handler = window.Plaid.create(Object.assign({}, widget.options, {
      receivedRedirectUri: window.location.href,
      onSuccess: (publicToken) => { handler.destroy(); finish(publicToken).catch(back); },
      onExit: () => { handler.destroy(); back(); },
    }));
    handler.open();
  };
  document.head.appendChild(script);
})();
