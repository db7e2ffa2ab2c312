/* colearn widgets: framework-free web components for partner sites.
 *
 *   <script src="https://API/widget/colearn.js" defer></script>
 *   <colearn-next learner="LEARNER_ID" key="PARTNER_KEY" limit="5"></colearn-next>
 *   <colearn-pathways learner="LEARNER_ID" key="PARTNER_KEY"></colearn-pathways>
 *
 * Without `learner` (or with `visitor`), an element shows what a visitor could
 * start with: `themes="digital health-and-care"` (space-separated theme ids)
 * steers both: <colearn-next> shows badges to start with, <colearn-pathways> the
 * published pathways ranked for those themes, each with its first step.
 * Where: `district="northgate"` keeps opportunities in that district (at the
 * district or a venue within it); `online` keeps online ones (with `district`:
 * in it or online). Dates are shown in `time-zone` (an IANA name; default the
 * visitor's own time zone); `heading` replaces the element's heading, and names
 * it as a region landmark (without it the element is no landmark, so that two
 * of a kind on one page are not two landmarks of one name).
 *
 * Each element sends one request when it is added, and one more each time an
 * attribute changes afterwards (changes made together count once). Requests go
 * only to the API this script came from, with the partner key in the X-API-Key
 * header; nothing else is fetched. An `api` attribute may name a path on that
 * same origin; one naming another origin is ignored (with a console warning), so
 * the key is never sent anywhere else.
 *
 * A request not answered within 15 s is given up; a 429 is retried once after
 * its Retry-After (at most 10 s). A failure shows visitors plain words ("... are
 * not available right now") and warns the technical cause, such as the API's
 * message for a bad key, an origin not allowed or an unknown district, on the
 * console for the partner's developer. An unknown learner gets what a visitor
 * is shown.
 *
 * The CSS is a constructable stylesheet (adoptedStyleSheets) and the progress
 * bars are sized through CSSOM, so a partner CSP needs no 'unsafe-inline' (nor
 * anything else) for styles. The content is marked lang="en".
 * Theme with CSS custom properties on the element or any ancestor:
 *   --colearn-font, --colearn-text, --colearn-muted, --colearn-bg,
 *   --colearn-surface, --colearn-accent, --colearn-focus,
 *   --colearn-radius, --colearn-border (card border), --colearn-track (progress
 *   track). The defaults meet WCAG AA contrast (4.5:1) on white.
 */
(() => {
  "use strict";
  const SCRIPT = document.currentScript;
  const DEFAULT_API = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src).origin : window.location.origin;
  const TIMEOUT_S = 15;        // a request not answered by then is given up
  const MAX_RETRY_S = 10;      // the longest Retry-After a 429 is waited out, once

  /* The seconds a Retry-After header asks to wait (RFC 9110 section 10.2.3: a number of
     seconds, or an HTTP date, as a proxy in front of the API may send), 0 for a date
     already past; null when there is no header or it is neither. */
  function retryAfterSeconds(header) {
    const text = (header || "").trim();
    if (/^\d+$/.test(text)) return Number(text);
    const when = text ? Date.parse(text) : NaN;
    return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
  }
  const DESCRIPTION_CHARS = 240;  // a visitor pathway's description is cut to this

  const STYLE = `
    :host { display: block; font-family: var(--colearn-font, system-ui, sans-serif);
            color: var(--colearn-text, #1b1b1b); background: var(--colearn-bg, #ffffff);
            line-height: 1.45; overflow-wrap: anywhere; }
    h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
    h3 { font-size: 1rem; margin: 0; }
    ol, ul { margin: 0; padding: 0; list-style: none; }
    .item { background: var(--colearn-surface, #ffffff); border: 1px solid var(--colearn-border, #767676);
            border-radius: var(--colearn-radius, 8px); padding: .6rem .8rem; margin: 0 0 .5rem; }
    .item:focus, a:focus, summary:focus { outline: 3px solid var(--colearn-focus, #1a4fa0); outline-offset: 2px; }
    .reasons li { color: var(--colearn-muted, #4a4a4a); font-size: .9rem; }
    .reasons li::before { content: "\\2022  "; }
    .opps { margin-top: .3rem; font-size: .9rem; }
    a { color: var(--colearn-accent, #0b4fa8); }
    .bar { height: .6rem; background: var(--colearn-track, #d9d9d9); border-radius: 99px; overflow: hidden; margin: .3rem 0; }
    .bar > span { display: block; height: 100%; background: var(--colearn-accent, #0b4fa8); }
    .meta { color: var(--colearn-muted, #4a4a4a); font-size: .9rem; }
    .status { color: var(--colearn-muted, #4a4a4a); }
    .opps > ul > li { margin: .25rem 0 0; }
    .where, .when { display: block; color: var(--colearn-muted, #4a4a4a); font-size: .85rem; }
    .rule { font-weight: 600; font-size: .95rem; margin: .3rem 0 0; }
    summary { cursor: pointer; color: var(--colearn-accent, #0b4fa8); }
  `;

  /* The CSS as one constructable stylesheet, adopted by every shadow root: a
     partner CSP without 'unsafe-inline' in style-src refuses a <style> element
     but not this. A browser without constructable stylesheets gets the element. */
  const SHEET = (() => {
    try { const sheet = new CSSStyleSheet(); sheet.replaceSync(STYLE); return sheet; } catch (e) { return null; }
  })();

  const MIDNIGHT = /T00:00:00(\.0+)?(Z|\+00:00)$/;

  /* en-GB dates in `zone` (an IANA name), else in the browser's own time zone. */
  function formatter(zone, withTime) {
    const options = { weekday: "short", day: "numeric", month: "short", year: "numeric" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; options.hour12 = false; }
    try { return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone || undefined }); } catch (e) {
      console.warn(`colearn: time-zone="${zone}" is not a time zone; using the browser's`);
      return new Intl.DateTimeFormat("en-GB", options);
    }
  }

  /* `text` cut to at most `max` characters, at a space where one is near, with an ellipsis. */
  function cut(text, max) {
    if (text.length <= max) return text;
    const head = text.slice(0, max - 1);
    const space = head.lastIndexOf(" ");
    return `${(space > max * 0.6 ? head.slice(0, space) : head).trimEnd()}\u2026`;
  }

  /* "Place, District" (or "Online"; blended adds "and online"). */
  function whereText(o) {
    if (o.mode === "online") return "Online";
    const parts = [o.place_name || o.place_id];
    if (o.district_name && !(parts[0] || "").includes(o.district_name)) parts.push(o.district_name);
    const place = parts.filter(Boolean).join(", ");
    return o.mode === "blended" ? `${place || "In person"} and online` : place;
  }

  /* When: the next session, a date or a date range, or "ongoing". An end at
     midnight UTC is the end of the day before (an end date includes its day);
     such whole-day dates are dates, the same in every time zone. */
  function whenText(o, zone, now) {
    const at = formatter(zone, true);
    const upcoming = (o.sessions || []).filter((s) => Date.parse(s.end) > now);
    if (upcoming.length) {
      const more = upcoming.length > 1 ? ` (${upcoming.length} sessions to go)` : "";
      return `Next session ${at.format(new Date(upcoming[0].start))}${more}`;
    }
    const start = o.start ? new Date(o.start) : null;
    let end = o.end ? new Date(o.end) : null;
    const wholeDays = (!o.start || MIDNIGHT.test(o.start)) && (!o.end || MIDNIGHT.test(o.end));
    const day = formatter(wholeDays ? "UTC" : zone, false);
    if (end && wholeDays) end = new Date(end.getTime() - 1);
    const fmt = wholeDays ? day : at;
    if (start && end) {
      if (day.format(start) === day.format(end)) {
        return wholeDays ? day.format(start) : `${at.format(start)} to ${at.format(end).split(" ").pop()}`;
      }
      return start.getTime() > now ? `${fmt.format(start)} to ${fmt.format(end)}` : `Running now, until ${fmt.format(end)}`;
    }
    if (start) return start.getTime() > now ? `From ${fmt.format(start)}` : "Running now: join any time";
    if (end) return `Until ${fmt.format(end)}`;
    return "Ongoing: join any time";
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, String(v));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  let uid = 0;

  class ColearnElement extends HTMLElement {
    static get observedAttributes() {
      return ["learner", "key", "limit", "api", "visitor", "themes", "district", "online", "time-zone"];
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      if (SHEET && "adoptedStyleSheets" in this.shadowRoot) this.shadowRoot.adoptedStyleSheets = [SHEET];
      this.uid = `colearn-${++uid}`;
    }

    /* The API this element calls: the script's own origin, or the `api` attribute
       when it names that same origin; another origin never gets the key. */
    get api() {
      const asked = this.getAttribute("api");
      if (!asked) return DEFAULT_API;
      let url = null;
      try { url = new URL(asked, DEFAULT_API); } catch (e) { url = null; }
      if (url && url.origin === DEFAULT_API) return (url.origin + url.pathname).replace(/\/+$/, "");
      console.warn(`colearn: api="${asked}" is not ${DEFAULT_API}, where this script came from; using ${DEFAULT_API}`);
      return DEFAULT_API;
    }

    get visitor() { return this.hasAttribute("visitor") || !this.getAttribute("learner"); }

    /* A visitor's themes and `limit` answers as query parameters ("themes=a&themes=b&limit=5"). */
    visitorQuery(limit) {
      const q = new URLSearchParams();
      for (const t of (this.getAttribute("themes") || "").split(/\s+/).filter(Boolean)) q.append("themes", t);
      q.set("limit", String(limit));
      return q.toString();
    }

    /* The where filters as query parameters ("&district=...&online=true"). */
    get whereQuery() {
      const q = new URLSearchParams();
      if (this.getAttribute("district")) q.set("district", this.getAttribute("district"));
      if (this.hasAttribute("online")) q.set("online", "true");
      const text = q.toString();
      return text ? `&${text}` : "";
    }

    /* One load per batch of changes: the attributes a page sets, and the
       element being connected, arrive together and end in a single request. */
    schedule() {
      if (this.pending) return;
      this.pending = true;
      queueMicrotask(() => { this.pending = false; if (this.isConnected) this.load(); });
    }

    connectedCallback() { this.schedule(); }

    attributeChangedCallback(name, before, after) { if (before !== after) this.schedule(); }

    /* The answer to GET `path` (parsed JSON). A request not answered within
       TIMEOUT_S is given up; a 429 is retried once after its Retry-After (seconds
       or an HTTP date, RFC 9110 section 10.2.3; at most MAX_RETRY_S). Throws an Error with `status` (0: no answer),
       `problem` (the API's problem+json, if any) and the technical cause as its
       message, which is for the console, never for the visitor. */
    async request(path) {
      for (let attempt = 0; ; attempt += 1) {
        try { return await this.requestOnce(path); } catch (error) {
          const wait = retryAfterSeconds(error.retryAfter);
          if (attempt || error.status !== 429 || wait === null) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.min(wait, MAX_RETRY_S) * 1000));
        }
      }
    }

    async requestOnce(path) {
      const headers = { Accept: "application/json" };
      const key = this.getAttribute("key");
      if (key) headers["X-API-Key"] = key;
      const url = this.api + path;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_S * 1000);
      let response = null;
      let body = null;
      let cause = null;
      try {
        response = await fetch(url, { headers, credentials: "omit", mode: "cors", signal: controller.signal });
        try { body = await response.json(); } catch (e) { body = null; }
      } catch (e) {
        cause = e;
      } finally {
        clearTimeout(timer);
      }
      const failure = (status, message) => Object.assign(new Error(message), { status, problem: body });
      if (controller.signal.aborted) throw failure(0, `no answer within ${TIMEOUT_S} s from ${url}`);
      if (!response) throw failure(0, `${cause && cause.message} (${url})`);
      if (!response.ok) {
        const detail = (body && body.detail) || response.statusText;
        throw Object.assign(failure(response.status, `${response.status} ${detail} (${url})`),
                            { retryAfter: response.headers.get("Retry-After") });
      }
      return body;
    }

    /* The element's heading and `content`: a region landmark named by its heading
       only when a `heading` attribute gives it a name of its own. */
    show(title, content, busy) {
      const heading = el("h2", { id: `${this.uid}-title` }, title);
      const named = this.hasAttribute("heading");
      const section = el("section", { lang: "en", "aria-labelledby": named ? heading.id : null,
                                      "aria-busy": busy ? "true" : "false" }, heading, content);
      const style = this.shadowRoot.adoptedStyleSheets && this.shadowRoot.adoptedStyleSheets.length
        ? null : el("style", {}, STYLE);
      this.shadowRoot.replaceChildren(...[style, section].filter(Boolean));
    }

    showStatus(title, text, isError) {
      this.show(title, el("p", { class: "status", role: isError ? "alert" : "status" }, text), false);
    }

    /* Loads and shows the learner's answer, or a visitor's: an unknown learner
       (a 404 naming them, not a missing route) and a learner who does not let
       partner sites read their recommendations (a 403 of type learner-not-shared)
       fall back to the visitor's. */
    async load() {
      const ticket = (this.ticket = (this.ticket || 0) + 1);
      this.show(this.title_, el("p", { class: "status", role: "status" }, "Loading\u2026"), true);
      const learner = this.visitor ? "" : this.getAttribute("learner");
      try {
        let visitor = !learner;
        let body = null;
        try {
          body = await this.fetchData(encodeURIComponent(learner));
        } catch (error) {
          const unknown = error.status === 404 && error.problem && error.problem.detail !== "Not Found";
          const withheld = error.status === 403 && error.problem && error.problem.type === "/problems/learner-not-shared";
          if (visitor || !(unknown || withheld)) throw error;
          console.warn(`colearn: ${error.message}; showing what a visitor is shown`);
          visitor = true;
          body = await this.fetchData("");
        }
        if (ticket === this.ticket) this.render(body, visitor);
      } catch (error) {
        if (ticket === this.ticket) this.fail(error);
      }
    }

    /* The current opportunities of an item, each with where and when. */
    opportunities(list, label) {
      const zone = this.getAttribute("time-zone");
      const now = Date.now();
      const items = (list || []).map((o) => el("li", { class: "opp", "data-opportunity-id": o.id },
        o.url ? el("a", { href: o.url, target: "_blank", rel: "noopener" }, o.name || o.id) : (o.name || o.id),
        el("span", { class: "where" }, whereText(o)),
        el("span", { class: "when" }, whenText(o, zone, now))));
      return items.length
        ? el("div", { class: "opps" }, el("span", { class: "meta" }, label), el("ul", {}, items))
        : null;
    }

    /* A failure in plain words for the visitor, who can do nothing about it; the
       technical cause (the API's message, a status, a timeout) on the console for
       the partner's developer. */
    fail(error) {
      console.warn(`colearn: <${this.localName}> could not load: ${error.message}`);
      this.showStatus(this.title_, `${this.noun} are not available right now. Please try again later.`, true);
    }
  }

  class ColearnNext extends ColearnElement {
    get title_() { return this.getAttribute("heading") || "What to learn next"; }

    get noun() { return "Recommendations"; }

    get limit() { return Math.max(1, Math.min(20, parseInt(this.getAttribute("limit") || "5", 10) || 5)); }

    /* A learner's next badges, or (`learner` empty) a visitor's start. */
    fetchData(learner) {
      if (!learner) return this.request(`/visitors/next?${this.visitorQuery(this.limit)}${this.whereQuery}`);
      return this.request(`/learners/${learner}/next?limit=${this.limit}${this.whereQuery}`);
    }

    render(body) {
      const items = (body && body.items) || [];
      if (!items.length) { this.showStatus(this.title_, "Nothing to suggest yet.", false); return; }
      const list = el("ol", { role: "list", "aria-label": "Suggested badges, best first" });
      items.forEach((item, i) => {
        const name = item.name || item.badge_id;
        const headingId = `${this.uid}-badge-${i}`;
        const reasons = el("ul", { class: "reasons", "aria-label": `Why ${name}` },
                           (item.reasons || []).map((r) => el("li", {}, r)));
        const where = this.opportunities(item.opportunities, "Earn it at:");
        list.append(el("li", { class: "item", tabindex: "0", "aria-labelledby": headingId,
                               "data-badge-id": item.badge_id },
                       el("h3", { id: headingId }, name), reasons, where));
      });
      this.show(this.title_, list, false);
    }
  }

  class ColearnPathways extends ColearnElement {
    get title_() { return this.getAttribute("heading") || "Pathways for you"; }

    get noun() { return "Pathways"; }

    /* A learner's scored pathways, or (`learner` empty) the published ones ranked for a
       visitor's themes, each first step's opportunities within the where filters. */
    fetchData(learner) {
      if (!learner) return this.request(`/visitors/pathways?${this.visitorQuery(20)}${this.whereQuery}`);
      return this.request(`/learners/${learner}/pathways?${this.whereQuery.slice(1)}`);
    }

    fail(error) {
      if (error.status === 404 && (!error.problem || error.problem.detail === "Not Found")) {
        this.showStatus(this.title_, "Pathways are not available from this service yet.", false);
      } else {
        super.fail(error);
      }
    }

    /* The pathways of `body`, each with its next step's rule, where to earn it and
       the reasons: a visitor's with a cut description and the number of steps (its
       first step is the next), a learner's with progress. */
    render(body, visitor) {
      const items = (body && (body.items || body.pathways || body.data)) || [];
      if (!items.length) { this.showStatus(this.title_, "No pathways to suggest yet.", false); return; }
      const list = el("ol", { role: "list", "aria-label": "Pathways, best first" });
      items.forEach((p, i) => {
        const title = p.title || p.name || p.pathway_id || p.id;
        const raw = typeof p.progress === "number" ? p.progress
          : (p.progress && typeof p.progress.fraction === "number" ? p.progress.fraction : 0);
        const pct = Math.round(Math.max(0, Math.min(1, raw)) * 100);
        const headingId = `${this.uid}-pathway-${i}`;
        const step = p.next_step;
        const next = step && (step.title || step.name);
        const fill = el("span", {});
        fill.style.width = `${pct}%`;  // CSSOM, which a CSP without 'unsafe-inline' allows
        const total = p.steps_total;
        const head = visitor
          ? [...(p.description ? this.description(p.description) : []),
             el("p", { class: "meta" }, (typeof total === "number" ? `${total} step${total === 1 ? "" : "s"}` : "")
                + (next ? `${typeof total === "number" ? " \u2014 " : ""}start with: ${next}` : ""))]
          : [el("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
                         "aria-valuenow": pct, "aria-label": `Progress on ${title}` }, fill),
             el("p", { class: "meta" }, `${pct}% done` + (next ? ` \u2014 next: ${next}` : ""))];
        /* the next step (and a visitor's step count) are shown above: not again as reasons */
        const reasons = (p.reasons || []).filter((r) => !r.startsWith("Next:") && !(visitor && /^\d+ steps?( and \d+ optional)?$/.test(r)));
        const body = [...head,
          step && step.rule ? el("p", { class: "rule" }, `Earn ${step.rule}`) : null,
          this.opportunities(step && step.opportunities, "Where:"),
          reasons.length ? el("ul", { class: "reasons" }, reasons.map((r) => el("li", {}, r))) : null];
        list.append(el("li", { class: "item", tabindex: "0", "aria-labelledby": headingId,
                               "data-pathway-id": p.pathway_id || p.id },
          el("h3", { id: headingId }, title), ...body));
      });
      this.show(this.title_, list, false);
    }

    /* A description cut to DESCRIPTION_CHARS, the full text one click away. */
    description(text) {
      const short = cut(text, DESCRIPTION_CHARS);
      return [el("p", { class: "meta description" }, short),
              short === text ? null : el("details", { class: "meta" }, el("summary", {}, "Full description"),
                                         el("p", {}, text))];
    }
  }

  if (!customElements.get("colearn-next")) customElements.define("colearn-next", ColearnNext);
  if (!customElements.get("colearn-pathways")) customElements.define("colearn-pathways", ColearnPathways);
})();
