// newsbeam search page: plain DOM, no framework, no build step.
// State lives in the URL (/?q=…&page=… or /?event=ID&q=…), so every view can be
// bookmarked, opened in a new tab, and reached with the back button.
"use strict";

const FILTERS = ["from", "to", "source", "language"];
const view = document.getElementById("view");
const statusLine = document.getElementById("status");
const form = document.getElementById("search");
const box = document.getElementById("q");
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
let pending = null;

// h("a", {href: "/"}, "text", node…): a tiny element builder that only ever sets text,
// never HTML, so data from the index cannot inject markup.
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

// The API sends snippets HTML-escaped with <mark> around the matches. Keep exactly
// that: text and <mark>, nothing else, even if a backend ever sends more.
function snippetNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html || "";
  const out = [];
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") out.push(h("mark", {}, node.textContent));
    else out.push(document.createTextNode(node.textContent));
  }
  return out;
}

// Highlight the query's words in plain text (the event page's excerpts).
function highlight(text, query) {
  const words = (query || "").toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) || [];
  if (!words.length) return [text];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join("|")})[\\p{L}]*`, "giu");
  const out = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    out.push(text.slice(last, match.index), h("mark", {}, match[0]));
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

function when(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : h("time", { datetime: iso }, dateTime.format(date));
}

function plural(n, one, many) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

function link(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `/?${text}` : "/";
}

function searchParams() {
  const url = new URLSearchParams(location.search);
  const out = { q: (url.get("q") || "").trim(), page: url.get("page") || "" };
  for (const key of FILTERS) out[key] = url.get(key) || "";
  return out;
}

async function api(path) {
  if (pending) pending.abort();
  pending = new AbortController();
  const response = await fetch(path, { signal: pending.signal, headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.message || `the server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function say(text, isError) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", Boolean(isError));
}

// ---- views -------------------------------------------------------------

function renderWelcome() {
  say("");
  view.replaceChildren(h("div", { class: "empty" },
    h("p", {}, "Search news events: what happened, who covered it, and when."),
    h("p", {}, "Try ", h("a", { href: link({ q: "Putin phone call" }) }, "Putin phone call"), ".")));
}

async function renderSearch(params) {
  const query = new URLSearchParams({ q: params.q });
  for (const key of [...FILTERS, "page"]) if (params[key]) query.set(key, params[key]);
  say("Searching…");
  const result = await api(`/search?${query}`);
  document.title = `${params.q} — newsbeam`;
  if (!result.total) {
    say("No events found.");
    view.replaceChildren(h("div", { class: "empty" }, h("p", {}, "No event matches these words and filters.")));
    return;
  }
  const first = (result.page - 1) * result.size + 1;
  const last = first + result.hits.length - 1;
  say(result.total > result.hits.length
    ? `Events ${first}–${last} of ${result.total.toLocaleString()}`
    : plural(result.total, "event", "events"));
  const cards = result.hits.map((hit) => {
    const href = link({ event: hit.event_id, q: params.q });
    return h("li", {}, h("article", { class: "card", "data-event": hit.event_id },
      h("h2", {}, h("a", { href }, hit.title || "(untitled event)")),
      h("p", { class: "meta" },
        h("span", { class: "count" }, plural(hit.article_count, "article", "articles")),
        h("span", {}, plural(hit.sources.length, "outlet", "outlets")),
        hit.first_seen ? h("span", {}, "first ", when(hit.first_seen)) : null,
        hit.last_seen && hit.last_seen !== hit.first_seen ? h("span", {}, "last ", when(hit.last_seen)) : null),
      h("ul", { class: "chips", "aria-label": "Outlets" }, hit.sources.map((s) => h("li", {}, s))),
      hit.snippet ? h("p", { class: "snippet" }, snippetNodes(hit.snippet)) : null));
  });
  view.replaceChildren(h("ol", { class: "cards" }, cards), pager(params, result));
}

function pager(params, result) {
  if (result.pages <= 1) return h("span");
  const to = (page) => link({ ...params, page: page > 1 ? String(page) : "" });
  const step = (page, label, rel) => (page >= 1 && page <= result.pages
    ? h("a", { href: to(page), rel }, label)
    : h("span", { class: "off", "aria-hidden": "true" }, label));
  return h("nav", { class: "pager", "aria-label": "Result pages" },
    step(result.page - 1, "← Newer results", "prev"),
    h("span", {}, `Page ${result.page} of ${result.pages}`),
    step(result.page + 1, "More results →", "next"));
}

async function renderEvent(eventId, params) {
  say("Loading event…");
  const detail = await api(`/events/${encodeURIComponent(eventId)}`);
  const event = detail.event;
  document.title = `${event.title || "Event"} — newsbeam`;
  say("");
  const back = params.q ? h("a", { class: "back", href: link({ q: params.q }) }, "← Back to results") : null;
  const head = h("section", { class: "event-head", "aria-labelledby": "event-title" },
    h("h1", { id: "event-title", tabindex: "-1" }, event.title || "(untitled event)"),
    h("p", { class: "meta" },
      h("span", { class: "count" }, plural(event.article_count, "article", "articles")),
      h("span", {}, plural(detail.outlets.length, "outlet", "outlets")),
      event.first_seen ? h("span", {}, "first ", when(event.first_seen)) : null,
      event.last_seen ? h("span", {}, "last ", when(event.last_seen)) : null),
    event.summary ? h("p", { class: "summary" }, event.summary) : null,
    about(event),
    timeline(detail.timeline));
  const outlets = detail.outlets.map((group) => h("section", { class: "outlet", "data-outlet": group.outlet },
    h("h3", {}, group.outlet, h("small", {}, plural(group.articles.length, "article", "articles"))),
    h("ol", {}, group.articles.map((a) => h("li", {},
      h("a", { class: "title", href: a.url, target: "_blank", rel: "noopener noreferrer" }, a.title || a.url),
      h("div", {}, when(a.published) || h("span", { class: "dup" }, "time unknown"),
        a.duplicate_of ? h("span", { class: "dup" }, " · near-duplicate") : null),
      a.excerpt ? h("p", {}, highlight(a.excerpt, params.q)) : null)))));
  view.replaceChildren(back || "", head,
    h("section", { class: "outlets", "aria-label": "Coverage by outlet" }, h("h2", {}, "Coverage by outlet"), outlets));
  document.getElementById("event-title").focus({ preventScroll: true });
}

// Who the event is about, who covered it how often, in which languages.
function about(event) {
  const rows = [
    ["Names", "names", event.names.map((name) => h("li", {}, name))],
    ["Outlets", "outlet-counts", event.outlets.map((o) => h("li", { "data-outlet": o.source }, o.source, " ",
      h("span", { class: "n" }, `×${o.count}`)))],
    ["Languages", "languages", event.languages.map((code) => h("li", { lang: code }, code))],
  ].filter(([, , items]) => items.length);
  if (!rows.length) return null;
  return h("dl", { class: "about" }, ...rows.flatMap(([label, cls, items]) =>
    [h("dt", {}, label), h("dd", {}, h("ul", { class: cls }, items))]));
}

// A bar chart of arrivals per bucket, drawn as inline SVG (no chart library).
function timeline(data) {
  if (!data.buckets.length) return null;
  const width = 600, height = 64, top = 4;
  const max = Math.max(...data.buckets.map((b) => b.count));
  const slot = width / data.buckets.length;
  const barWidth = Math.max(2, Math.min(48, slot * 0.8));
  const bars = data.buckets.map((bucket, i) => {
    const barHeight = bucket.count ? Math.max(3, ((height - top) * bucket.count) / max) : 0;
    const x = i * slot + (slot - barWidth) / 2;
    return svg("rect", { class: "bar", x: x.toFixed(1), y: (height - barHeight).toFixed(1),
      width: barWidth.toFixed(1), height: barHeight.toFixed(1), rx: 2 },
    svg("title", {}, `${plural(bucket.count, "article", "articles")} from ${dateTime.format(new Date(bucket.start))}`));
  });
  const unit = data.bucket_seconds >= 86400 ? ["day", 86400] : data.bucket_seconds >= 3600 ? ["hour", 3600] : ["minute", 60];
  const per = data.bucket_seconds === unit[1] ? unit[0] : `${data.bucket_seconds / unit[1]} ${unit[0]}s`;
  const label = `Articles per ${per}, from ${dateTime.format(new Date(data.start))} to ${dateTime.format(new Date(data.end))}`;
  // The SVG stretches to the page width, so its labels are HTML, which does not stretch.
  return h("figure", { class: "timeline" },
    h("h2", {}, `When articles arrived · per ${per}`),
    svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": label },
      ...bars,
      svg("line", { class: "axis", x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 })),
    h("figcaption", {}, when(data.start), when(data.end),
      data.undated ? h("span", { class: "visually-hidden" }, `; ${plural(data.undated, "article", "articles")} without a time`) : null));
}

// ---- navigation ----------------------------------------------------------

async function render() {
  const params = searchParams();
  const eventId = new URLSearchParams(location.search).get("event");
  box.value = params.q;
  for (const key of FILTERS) form.elements[key].value = params[key];
  if (FILTERS.some((key) => params[key])) document.getElementById("filters").open = true;
  try {
    if (eventId) await renderEvent(eventId, params);
    else if (params.q) await renderSearch(params);
    else renderWelcome();
  } catch (error) {
    if (error.name === "AbortError") return;
    say(error.status === 404 ? "This event does not exist (any more)." : `Something went wrong: ${error.message}`, true);
    view.replaceChildren();
  }
}

function go(href) {
  history.pushState(null, "", href);
  window.scrollTo(0, 0);
  render();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const params = { q: String(data.get("q") || "").trim() };
  for (const key of FILTERS) params[key] = String(data.get(key) || "").trim();
  if (params.q) go(link(params));
});

// Same-page links navigate without a reload; modified clicks (new tab) are left alone.
document.addEventListener("click", (event) => {
  const anchor = event.target.closest("a[href^='/?'], a[href='/']");
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  go(anchor.getAttribute("href"));
});

document.addEventListener("keydown", (event) => {
  const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if (event.key === "/" && !typing) {
    event.preventDefault();
    box.focus();
    box.select();
  } else if (event.key === "Escape" && document.activeElement === box) {
    box.blur();
  }
});

window.addEventListener("popstate", render);
render();
