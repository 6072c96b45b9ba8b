// A run's result (or a render-only preview) as people read it: outcome, request as sent, response.

import { inFormWords } from "./field-names.js";
import { renderTree } from "./tree.js";

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") element.textContent = value;
    else element.setAttribute(name, value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

function pretty(body) {
  if (body === null || body === undefined) return "";
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function headerTable(headers, label) {
  const rows = headers.map((h) => el("tr", {}, el("th", { scope: "row", text: h.key }), el("td", {}, el("code", { text: h.value }))));
  return el("table", { class: "kv", "aria-label": label }, el("tbody", {}, ...rows));
}

function requestBlock(request, title) {
  return el(
    "section",
    { class: "result-part", "data-testid": "request-as-sent" },
    el("h3", { text: title }),
    el("p", {}, el("span", { class: "method", text: request.method }), " ", el("code", { class: "url", text: request.url })),
    request.headers.length ? headerTable(request.headers, "Request headers") : null,
    request.body ? el("pre", { class: "code", text: pretty(request.body) }) : null,
  );
}

function keepButton(onKeep) {
  const button = el("button", { type: "button", id: "use-as-sample", text: "Use this answer as the sample" });
  button.addEventListener("click", onKeep);
  return button;
}

export function shortValue(value) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export function renderResult(container, result, { preview = false, runId = null, onPick = null, onKeep = null } = {}) {
  container.replaceChildren();
  const summary = el("div", { class: "result-summary", "data-testid": "run-summary" });
  if (preview) {
    summary.append(el("span", { class: `badge ${result.ok ? "neutral" : "bad"}`, text: result.ok ? "Preview: nothing was sent" : "Preview failed" }));
  } else {
    summary.append(el("span", { class: `badge ${result.ok ? "ok" : "bad"}`, text: result.ok ? "OK" : "Failed" }));
    if (result.status !== null && result.status !== undefined) summary.append(el("span", { class: "stat", "data-testid": "run-status", text: `HTTP ${result.status}` }));
  }
  if (result.mock) summary.append(el("span", { class: "badge mock", "data-testid": "run-mock", text: "Mock: answered from the sample, nothing sent" }));
  summary.append(el("span", { class: "stat", "data-testid": "run-time", text: `${Math.round(result.duration_ms)} ms` }));
  if (runId) summary.append(el("a", { href: `/runs/${runId}`, text: "Open this run" }));
  container.append(summary);
  if (result.error) {
    const message = result.error.message.startsWith(`${result.error.kind}: `) ? result.error.message.slice(result.error.kind.length + 2) : result.error.message;
    container.append(el("p", { class: "alert", role: "alert" }, el("strong", { text: result.error.kind }), `: ${inFormWords(message)}`));
  }
  for (const warning of result.warnings ?? []) container.append(el("p", { class: "warning", text: inFormWords(warning) }));
  const requestTitle = preview ? "Request that would be sent" : result.mock ? "Request not sent: answered from the sample" : "Request as sent";
  if (result.request) container.append(requestBlock(result.request, requestTitle));
  if (result.response) {
    const response = result.response;
    const tree = el("div", { class: "tree", id: "response-tree", "aria-label": "Response body" });
    renderTree(tree, response.body, { onPick });
    container.append(
      el(
        "section",
        { class: "result-part" },
        el("h3", {}, "Response ", el("span", { class: `badge ${response.status < 300 ? "ok" : "bad"}`, text: String(response.status) })),
        onPick ? el("p", { class: "hint", text: "Click a value, or an object's {keys} or a list's [items], to map it into a custom variable." }) : null,
        response.truncated ? el("p", { class: "warning", text: "The body was cut at the size limit." }) : null,
        onKeep && !response.truncated ? el("p", {}, keepButton(onKeep)) : null,
        tree,
        el("details", {}, el("summary", { text: "Response headers" }), headerTable(response.headers, "Response headers")),
      ),
    );
  }
}
