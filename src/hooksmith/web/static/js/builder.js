// The Webhook Builder page: keeps the sections in step, saves through the API, runs and maps.

import { wireStoredActions } from "./actions.js";
import { importCurl, looksLikeCurl, wireCurlPaste } from "./curl.js";
import { wireOpenApiImport } from "./openapi.js";
import { api, ApiError } from "./api.js";
import { AUTH_INPUTS, AUTH_SECRETS, authFields } from "./auth-kinds.js";
import { ContextFields } from "./context.js";
import { choose } from "./dialogs.js";
import { confirmSecretLoss, DraftChecker, runForm, wireEchoTry, wireRunKeys } from "./drafts.js";
import { BodyEditor, bodyProblem } from "./editor.js";
import { clearFieldErrors, findField, showFaults } from "./field-errors.js";
import { collectReliability, watchReliability } from "./reliability.js";
import { renderResult, shortValue } from "./result.js";
import { RowTable } from "./rows.js";
import { SampleAnswerPanel } from "./mock-answers.js";
import { keepSample, loadSample } from "./sample.js";
import { contextNames, joinUrl, splitUrl } from "./urlparts.js";
import { variableDefinitions } from "./variables.js";

const CHANGING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const $ = (id) => document.getElementById(id);

class Builder {
  constructor(form) {
    this.form = form;
    this.id = form.dataset.webhookId ? Number(form.dataset.webhookId) : null;
    this.revision = form.dataset.revision ? Number(form.dataset.revision) : null;
    this.dirty = false;
    this.busy = false;
    this.sent = {};
    const changed = () => this.markDirty();
    this.headers = new RowTable("headers", changed);
    this.params = new RowTable("params", () => { this.urlFromParams(); changed(); });
    this.variables = new RowTable("custom_variables", changed);
    this.context = new ContextFields({
      container: $("context-fields"),
      empty: $("context-empty"),
      initial: JSON.parse($("context-data").textContent),
      onChange: changed,
    });
    this.body = new BodyEditor({
      textarea: $("body"),
      gutter: $("body-gutter"),
      error: $("body-error"),
      formatButton: $("format-body"),
      onChange: () => { changed(); this.scheduleBodyCheck(); },
    });
    $("sample").value = loadSample(this.id);
    this.mergeUrlQuery();
    this.wire();
    this.samplePanel = new SampleAnswerPanel(this);
    this.followUrl();
    this.showAuth();
  }

  wire() {
    for (const id of ["name", "method", "response_type", "execution", "timeout", "auth-username", "auth-password", "auth-token", ...AUTH_INPUTS, "company"]) {
      $(id)?.addEventListener("input", () => this.markDirty());
    }
    // Also shown once now: a name typed before this script ran fired no input event.
    const showName = () => { $("crumb-name").textContent = $("name").value || "New webhook"; };
    $("name").addEventListener("input", showName);
    showName();
    let lastUrl = $("url").value;
    $("url").addEventListener("input", () => {
      // A cURL command typed or dropped in (a paste is caught before it lands) is imported.
      if (looksLikeCurl($("url").value)) { importCurl(this, $("url").value, lastUrl); return; }
      lastUrl = $("url").value;
      this.paramsFromUrl(); this.followUrl(); this.markDirty();
    });
    wireCurlPaste(this);
    if ($("openapi-import")) wireOpenApiImport(this);
    $("auth-type").addEventListener("change", () => { this.showAuth(); this.markDirty(); });
    $("sample").addEventListener("input", () => { keepSample(this.id, $("sample").value); $("sample-error").hidden = true; });
    watchReliability(() => this.markDirty());
    wireStoredActions(this);
    $("save").addEventListener("click", () => this.save());
    $("preview").addEventListener("click", () => this.preview());
    $("run").addEventListener("click", () => this.run());
    wireRunKeys(this);
    wireEchoTry(this);
    this.checker = new DraftChecker(this);
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); this.save(); }
    });
    window.addEventListener("beforeunload", (event) => {
      if (!this.dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  }

  markDirty() {
    this.dirty = true;
    $("save-state").textContent = "Unsaved changes";
  }

  markClean(text) {
    this.dirty = false;
    $("save-state").textContent = text;
  }

  // Go to another page on purpose (after a delete or a duplicate): no unsaved-changes warning.
  leave(path) {
    this.dirty = false;
    window.location.assign(path);
  }

  // A stored URL may hold a query of its own: show it as Params rows, first, as it is sent.
  mergeUrlQuery() {
    const { base, pairs } = splitUrl($("url").value);
    if (pairs.length) this.params.setAll([...pairs, ...this.params.values()]);
    $("url").value = joinUrl(base, this.params.values());
  }

  paramsFromUrl() {
    const { pairs } = splitUrl($("url").value);
    const typed = this.params.values().filter((p) => p.key !== "" || p.value !== "");
    if (JSON.stringify(pairs) !== JSON.stringify(typed)) this.params.setAll(pairs);
  }

  urlFromParams() {
    $("url").value = joinUrl(splitUrl($("url").value).base, this.params.values());
  }

  followUrl() {
    this.context.follow(contextNames(splitUrl($("url").value).base));
  }

  showAuth() {
    const type = $("auth-type").value;
    for (const block of document.querySelectorAll("[data-auth]")) block.hidden = block.dataset.auth !== type;
  }

  collectRows(table, parts) {
    const rows = [];
    const dom = [];
    table.values().forEach((values, index) => {
      if (parts.every((part) => values[part].trim() === "")) return;
      rows.push(values);
      dom.push(index);
    });
    this.sent[table.kind] = dom;
    return rows;
  }

  collect() {
    const auth = { type: $("auth-type").value };
    if (auth.type === "basic") {
      auth.username = $("auth-username").value;
      if ($("auth-password").value) auth.password = $("auth-password").value;
    } else if (auth.type === "bearer" && $("auth-token").value) {
      auth.token = $("auth-token").value;
    } else {
      Object.assign(auth, authFields(auth.type));
    }
    const timeout = Number($("timeout").value);
    const definition = {
      ...plainFields(this.form),
      url: splitUrl($("url").value).base,
      timeout: $("timeout").value === "" || Number.isNaN(timeout) ? $("timeout").value : timeout,
      auth,
      headers: this.collectRows(this.headers, ["key", "value"]),
      params: this.collectRows(this.params, ["key", "value"]),
      context: this.context.collect(),
      body: this.body.value.trim() ? this.body.value : null,
      custom_variables: variableDefinitions(this.collectRows(this.variables, ["name", "mapper", "default"])),
      ...collectReliability(),
    };
    const company = $("company");
    if (company && company.value) definition.company = company.value;
    return definition;
  }

  clearErrors() {
    $("form-error").hidden = true;
    clearFieldErrors(this.form);
  }

  fieldElement(field) {
    if (field?.startsWith("body")) return $("body");
    return findField(this.form, field, (kind, index, part) => {
      const domIndex = this.sent[kind]?.[index] ?? index;
      const table = { headers: this.headers, params: this.params, custom_variables: this.variables }[kind];
      const dom = table.rows()[domIndex];
      return dom?.querySelector(part ? `[data-part="${part}"]` : "input") ?? null;
    });
  }

  showError(error, what = "Not saved") {
    const box = $("form-error");
    if (error.kind === "revision_conflict") {
      box.textContent = "Someone saved this webhook after you opened it. Your changes are still here: copy what you need, then reload to see their version.";
      box.hidden = false;
      return;
    }
    showFaults({
      box,
      error,
      what,
      fieldElement: (field) => this.fieldElement(field),
      showBody: (message) => {
        const problem = bodyProblem(message);
        this.body.showError(problem.message, problem.line);
        return $("body");
      },
    });
  }

  async save() {
    if (this.busy) return null;
    this.busy = true;
    this.clearErrors();
    $("save-state").textContent = "Saving…";
    try {
      if (!(await confirmSecretLoss(this, this.checker))) {
        $("save-state").textContent = "Not saved";
        return null;
      }
      const definition = this.collect();
      const view = this.id === null
        ? await api("POST", "/webhooks", definition)
        : await api("PUT", `/webhooks/${this.id}`, { ...definition, revision: this.revision });
      this.saved(view);
      return view;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      $("save-state").textContent = "Not saved";
      this.showError(error);
      if (error.kind === "invalid_definition") this.checker.check(); // every problem, by field
      return null;
    } finally {
      this.busy = false;
    }
  }

  saved(view) {
    const wasNew = this.id === null;
    this.id = view.id;
    this.revision = view.revision;
    this.form.dataset.webhookId = String(view.id);
    this.form.dataset.revision = String(view.revision);
    if (wasNew) {
      keepSample(this.id, $("sample").value);
      history.replaceState(null, "", `/webhooks/${view.id}`);
      $("builder-title").textContent = "Edit webhook";
      $("history-link").href = `/webhooks/${view.id}/runs`;
      $("history-link").hidden = false;
      $("revisions-link").href = `/webhooks/${view.id}/revisions`;
      $("revisions-link").hidden = false;
      $("stored-actions").hidden = false;
      this.samplePanel.saved();
    }
    for (const secret of ["password", "token", ...AUTH_SECRETS]) {
      const flag = view.auth[`${secret}_set`];
      const input = $(`auth-${secret}`);
      input.value = "";
      input.dataset.secretSet = String(Boolean(flag));
      input.placeholder = flag ? "Set: leave empty to keep it" : "";
      document.querySelector(`[data-secret-state="${secret}"]`).hidden = !flag;
    }
    this.checker.afterSave(view);
    this.markClean(`Saved (revision ${view.revision})`);
  }

  sample() {
    try {
      const data = JSON.parse($("sample").value || "{}");
      if (data === null || typeof data !== "object" || Array.isArray(data)) throw new SyntaxError("it must be a JSON object");
      return data;
    } catch (error) {
      $("sample-error").textContent = `Sample conversation data is not valid JSON: ${error.message}`;
      $("sample-error").hidden = false;
      $("sample").focus();
      return null;
    }
  }

  async run() {
    const conversation = this.sample();
    if (conversation === null || this.busy) return;
    const method = $("method").value;
    if (CHANGING_METHODS.has(method)) {
      const choice = await this.confirm(method);
      if (choice === "preview") return this.preview();
      if (choice !== "run") return;
    }
    // Run what the form shows, as it is: unsaved changes run as a draft, nothing is saved.
    this.clearErrors();
    const output = $("run-result");
    output.textContent = "Running…";
    try {
      const { result, runId } = await runForm(this, conversation);
      this.showResult(result, { runId });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      output.replaceChildren();
      this.showError(error, "Not run");
    }
  }

  async preview() {
    const conversation = this.sample();
    if (conversation === null) return;
    this.clearErrors();
    try {
      const result = await api("POST", "/render", { definition: this.collect(), conversation });
      this.showResult(result, { preview: true });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.showError(error);
    }
  }

  confirm(method) {
    const dialog = $("confirm-run");
    dialog.querySelector("[data-confirm-method]").textContent = method;
    dialog.querySelector("[data-confirm-url]").textContent = $("url").value;
    return choose(dialog, "preview");
  }

  showResult(result, { preview = false, runId = null } = {}) {
    const keep = this.id !== null && !preview && !result.mock && result.response;
    renderResult($("run-result"), result, {
      preview,
      runId,
      onPick: (path, value) => this.mapValue(path, value),
      onKeep: keep ? () => this.samplePanel.takeFrom(result, runId) : null,
    });
    if (result.error?.field?.startsWith("body")) {
      const problem = bodyProblem(result.error.message);
      this.body.showError(problem.message, problem.line);
    } else if (!preview || result.ok) {
      this.body.clearError();
    }
    if (preview) return;
    const outcomes = result.mapping ?? [];
    for (const row of this.variables.rows()) {
      const name = row.querySelector('[data-part="name"]').value;
      const mapper = row.querySelector('[data-part="mapper"]').value;
      const outcome = outcomes.find((o) => o.name === name && o.mapper === mapper) ?? outcomes.find((o) => o.name === name);
      const cell = row.querySelector("[data-outcome]");
      cell.replaceChildren();
      const span = document.createElement(outcome?.found ? "code" : "span");
      span.className = outcome?.found ? "value" : "reason";
      span.textContent = outcome ? (outcome.found ? shortValue(outcome.value) : outcome.reason ?? "no value") : "not mapped in this run";
      cell.append(span);
      if (outcome?.default_used) {
        // What the bot gets: the default, shown as a value beside the reason.
        const given = document.createElement("code");
        given.className = "value default";
        given.textContent = shortValue(outcome.value);
        cell.append(document.createTextNode(" → the bot gets "), given);
      }
    }
  }

  mapValue(path, value) {
    const taken = new Set(this.variables.values().map((v) => v.name));
    const last = /([A-Za-z_][A-Za-z0-9_]*)(?:\[\d+\])*$/.exec(path.replace(/\["([^"]*)"\]$/, ".$1"))?.[1] ?? "value";
    let name = last === "response" ? "response_value" : last;
    for (let n = 2; taken.has(name); n += 1) name = `${last}_${n}`;
    const row = this.variables.add({ name, mapper: path });
    const cell = row.querySelector("[data-outcome]");
    cell.replaceChildren(Object.assign(document.createElement("code"), { className: "value", textContent: shortValue(value) }));
    this.markDirty();
    $("save-state").textContent = `Added custom variable “${name}” ← ${path} (unsaved)`;
    row.querySelector('[data-part="name"]').focus();
  }

  scheduleBodyCheck() {
    clearTimeout(this.bodyTimer);
    this.bodyTimer = setTimeout(() => this.checkBody(), 400);
  }

  // Render the body alone (nothing is sent) to show JSON and template errors at their line.
  async checkBody() {
    const text = this.body.value;
    if (!text.trim()) { this.body.clearError(); return; }
    let conversation = {};
    try { conversation = JSON.parse($("sample").value || "{}"); } catch { conversation = {}; }
    const definition = { name: "body check", method: "POST", url: "http://body-check.invalid/", body: text };
    try {
      const result = await api("POST", "/render", { definition, conversation });
      if (text !== this.body.value) return;
      if (result.error?.field?.startsWith("body")) {
        const problem = bodyProblem(result.error.message);
        this.body.showError(problem.message, problem.line);
      } else {
        this.body.clearError();
      }
    } catch (error) {
      if (!(error instanceof ApiError) || text !== this.body.value) return;
      if (error.field?.startsWith("body")) {
        const problem = bodyProblem(error.message);
        this.body.showError(problem.message, problem.line);
      }
    }
  }
}

const form = document.getElementById("builder");
if (form) {
  window.hooksmithBuilder = new Builder(form);
  form.dataset.ready = "true"; // its controls answer from now on (tests wait for this)
}

// The value of every plain field of the form: a control marked `data-plain` whose `data-field`
// is the field's name (a checkbox gives true or false, `data-plain="nullable"` gives null when
// blank), so a new field of a webhook needs only its control in the template.
function plainFields(form) {
  const values = {};
  for (const control of form.querySelectorAll("[data-plain][data-field]")) {
    let value = control.type === "checkbox" ? control.checked : control.value;
    if (control.dataset.plain === "nullable" && !String(value).trim()) value = null;
    values[control.dataset.field] = value;
  }
  return values;
}
