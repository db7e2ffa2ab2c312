/* colearn learner pages: the session (learner token + refresh token, kept in this
 * browser's localStorage), an API helper that refreshes an expired token once,
 * and DOM helpers that only ever set text (never HTML from the API). */
(function () {
  "use strict";
  const KEY = "colearn.session";
  const NEXT = "colearn.next";

  function session() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function saveSession(s) {
    localStorage.setItem(KEY, JSON.stringify({ learner_id: s.learner_id, access_token: s.access_token,
                                               refresh_token: s.refresh_token }));
  }
  function signOutLocally() { localStorage.removeItem(KEY); }

  async function send(method, path, body, token) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  async function call(method, path, body, opts) {
    const auth = !(opts && opts.auth === false);
    let s = auth ? session() : null;
    let r = await send(method, path, body, s && s.access_token);
    if (r.status === 401 && s && s.refresh_token) {
      const rr = await send("POST", "/signin/refresh", { refresh_token: s.refresh_token });
      if (rr.ok) {
        saveSession(await rr.json());
        s = session();
        r = await send(method, path, body, s.access_token);
      } else {
        signOutLocally();
      }
    }
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    return { ok: r.ok, status: r.status, data };
  }

  function fragment(name) { return new URLSearchParams(location.hash.slice(1)).get(name); }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function say(target, text, kind) {
    const box = typeof target === "string" ? document.getElementById(target) : target;
    box.replaceChildren(el("p", { class: "message " + (kind || "ok"), role: kind === "error" ? "alert" : "status",
                                  text }));
  }

  function problem(res, fallback) {
    return (res.data && (res.data.detail || res.data.title)) || fallback || ("request failed (" + res.status + ")");
  }

  //: What a page says of a link whose token was cut off (a mail program wrapped or clipped it).
  const INCOMPLETE = "This link is incomplete: copy the whole link from the mail.";

  // The ``#token=`` of a link from a mail; null, with INCOMPLETE said in ``statusId``, when it
  // is cut off (shorter than the 43 characters every token has, secrets.token_urlsafe(32)).
  function linkToken(statusId) {
    const token = fragment("token");
    if (token !== null && token.length < 43) { say(statusId, INCOMPLETE, "error"); return null; }
    return token;
  }

  function day(iso) {
    return iso ? new Date(iso).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric",
                                                             timeZone: "UTC" }) : "";
  }

  function requireSession(next) {
    if (session()) return true;
    localStorage.setItem(NEXT, next || (location.pathname + location.hash));
    location.assign("/signin");
    return false;
  }

  function afterSignIn() {
    const next = localStorage.getItem(NEXT);
    localStorage.removeItem(NEXT);
    location.assign(next && next.startsWith("/") ? next : "/portfolio");
  }

  function whoami() {
    const s = session();
    const box = document.querySelector("header.top .who");
    if (!box) return;
    if (!s) { box.replaceChildren(el("a", { href: "/signin", text: "Sign in" })); return; }
    box.replaceChildren("Signed in ", el("button", { class: "secondary", type: "button", text: "Sign out",
      onclick: async () => { await call("POST", "/signin/out"); signOutLocally(); location.assign("/signin"); } }));
  }

  window.colearn = { session, saveSession, signOutLocally, call, fragment, linkToken, el, say, problem, day,
                     requireSession, afterSignIn, whoami };
  document.addEventListener("DOMContentLoaded", whoami);
})();
