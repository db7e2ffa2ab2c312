/* colearn widgets: framework-free web components for partner sites.
 *
 *   <script src="https://API/widget/colearn.js" defer></script>
 *   <colearn-next learner="LEARNER_ID" key="PARTNER_KEY" limit="5"></colearn-next>
 *   <colearn-pathways learner="LEARNER_ID" key="PARTNER_KEY"></colearn-pathways>
 *
 * Requests go only to the API this script came from (or the `api` attribute),
 * with the partner key in the X-API-Key header; nothing else is fetched.
 * Theme with CSS custom properties on the element or any ancestor:
 *   --colearn-font, --colearn-text, --colearn-muted, --colearn-bg,
 *   --colearn-surface, --colearn-accent, --colearn-accent-text, --colearn-focus,
 *   --colearn-radius. The defaults meet WCAG AA contrast (4.5:1) on white.
 */
(() => {
  "use strict";
  const SCRIPT = document.currentScript;
  const DEFAULT_API = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src).origin : window.location.origin;

  const STYLE = `
    :host { display: block; font-family: var(--colearn-font, system-ui, sans-serif);
            color: var(--colearn-text, #1b1b1b); background: var(--colearn-bg, #ffffff);
            line-height: 1.45; }
    h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
    h3 { font-size: 1rem; margin: 0; }
    ol, ul { margin: 0; padding: 0; list-style: none; }
    .item { background: var(--colearn-surface, #ffffff); border: 1px solid #767676;
            border-radius: var(--colearn-radius, 8px); padding: .6rem .8rem; margin: 0 0 .5rem; }
    .item:focus, a:focus { outline: 3px solid var(--colearn-focus, #1a4fa0); outline-offset: 2px; }
    .reasons li { color: var(--colearn-muted, #4a4a4a); font-size: .9rem; }
    .reasons li::before { content: "\\2022  "; }
    .opps { margin-top: .3rem; font-size: .9rem; }
    a { color: var(--colearn-accent, #0b4fa8); }
    .bar { height: .6rem; background: #d9d9d9; border-radius: 99px; overflow: hidden; margin: .3rem 0; }
    .bar > span { display: block; height: 100%; background: var(--colearn-accent, #0b4fa8); }
    .meta { color: var(--colearn-muted, #4a4a4a); font-size: .9rem; }
    .status { color: var(--colearn-muted, #4a4a4a); }
  `;

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
    static get observedAttributes() { return ["learner", "key", "limit", "api"]; }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.uid = `colearn-${++uid}`;
    }

    get api() { return (this.getAttribute("api") || DEFAULT_API).replace(/\/+$/, ""); }

    connectedCallback() { this.load(); }

    attributeChangedCallback() { if (this.isConnected) this.load(); }

    async request(path) {
      const headers = { Accept: "application/json" };
      const key = this.getAttribute("key");
      if (key) headers["X-API-Key"] = key;
      const response = await fetch(this.api + path, { headers, credentials: "omit", mode: "cors" });
      let body = null;
      try { body = await response.json(); } catch (e) { body = null; }
      if (!response.ok) {
        const error = new Error((body && body.detail) || response.statusText || "request failed");
        error.status = response.status;
        error.problem = body;
        throw error;
      }
      return body;
    }

    show(title, content, busy) {
      const heading = el("h2", { id: `${this.uid}-title` }, title);
      const section = el("section", { "aria-labelledby": heading.id, "aria-busy": busy ? "true" : "false" },
                         heading, content);
      this.shadowRoot.replaceChildren(el("style", {}, STYLE), section);
    }

    showStatus(title, text, isError) {
      this.show(title, el("p", { class: "status", role: isError ? "alert" : "status" }, text), false);
    }

    async load() {
      const learner = this.getAttribute("learner");
      if (!learner) { this.showStatus(this.title_, "No learner given.", true); return; }
      this.show(this.title_, el("p", { class: "status", role: "status" }, "Loading\u2026"), true);
      try {
        this.render(await this.request(this.path(encodeURIComponent(learner))));
      } catch (error) {
        this.fail(error);
      }
    }

    fail(error) {
      this.showStatus(this.title_, `Could not load: ${error.message}`, true);
    }
  }

  class ColearnNext extends ColearnElement {
    get title_() { return this.getAttribute("heading") || "What to learn next"; }

    path(learner) {
      const limit = Math.max(1, Math.min(20, parseInt(this.getAttribute("limit") || "5", 10) || 5));
      return `/learners/${learner}/next?limit=${limit}`;
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
        const opps = (item.opportunities || []).map((o) => (o.url
          ? el("li", {}, el("a", { href: o.url, target: "_blank", rel: "noopener" }, o.name || o.id))
          : el("li", {}, o.name || o.id)));
        const where = opps.length
          ? el("div", { class: "opps" }, el("span", { class: "meta" }, "Earn it at:"), el("ul", {}, opps))
          : null;
        list.append(el("li", { class: "item", tabindex: "0", "aria-labelledby": headingId,
                               "data-badge-id": item.badge_id },
                       el("h3", { id: headingId }, name), reasons, where));
      });
      this.show(this.title_, list, false);
    }
  }

  class ColearnPathways extends ColearnElement {
    get title_() { return this.getAttribute("heading") || "Pathways for you"; }

    path(learner) { return `/learners/${learner}/pathways`; }

    fail(error) {
      if (error.status === 404 && (!error.problem || error.problem.detail === "Not Found")) {
        this.showStatus(this.title_, "Pathways are not available from this service yet.", false);
      } else {
        super.fail(error);
      }
    }

    render(body) {
      const items = (body && (body.items || body.pathways || body.data)) || [];
      if (!items.length) { this.showStatus(this.title_, "No pathways to suggest yet.", false); return; }
      const list = el("ol", { role: "list", "aria-label": "Pathways, best fit first" });
      items.forEach((p, i) => {
        const title = p.title || p.name || p.pathway_id || p.id;
        const raw = typeof p.progress === "number" ? p.progress
          : (p.progress && typeof p.progress.fraction === "number" ? p.progress.fraction : 0);
        const pct = Math.round(Math.max(0, Math.min(1, raw)) * 100);
        const headingId = `${this.uid}-pathway-${i}`;
        const next = p.next_step && (p.next_step.title || p.next_step.name);
        list.append(el("li", { class: "item", tabindex: "0", "aria-labelledby": headingId,
                               "data-pathway-id": p.pathway_id || p.id },
          el("h3", { id: headingId }, title),
          el("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
                      "aria-valuenow": pct, "aria-label": `Progress on ${title}` },
             el("span", { style: `width: ${pct}%` })),
          el("p", { class: "meta" }, `${pct}% done` + (next ? ` \u2014 next: ${next}` : "")),
          el("ul", { class: "reasons" }, (p.reasons || []).map((r) => el("li", {}, r)))));
      });
      this.show(this.title_, list, false);
    }
  }

  if (!customElements.get("colearn-next")) customElements.define("colearn-next", ColearnNext);
  if (!customElements.get("colearn-pathways")) customElements.define("colearn-pathways", ColearnPathways);
})();
