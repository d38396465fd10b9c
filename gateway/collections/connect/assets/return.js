// Back from the upstream's consent page: return to Connect with the session this tab was using.
"use strict";

(function () {
  let token = null;
  try { token = window.sessionStorage.getItem("linkgate-connect-session"); } catch (e) { /* storage blocked */ }
  if (token) window.location.replace("/connect?link_session_token=" + encodeURIComponent(token));
})();
