// The "Sample answer" panel: a webhook's sample (typed, or taken from a run's answer) and runs
// against it, which map the custom variables without sending anything.

import { api, ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);
// Headers that described the bytes on the wire, not the decoded body a result shows.
const WIRE_HEADERS = new Set(["content-length", "content-encoding", "transfer-encoding"]);
const FIELDS = { status: "sample-status", headers: "sample-headers", body: "sample-body" };

function headersText(headers) {
  return headers.map((h) => `${h.key}: ${h.value}`).join("\n");
}

function parseHeaders(text) {
  const headers = [];
  for (const [index, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon < 1) throw new ApiError(422, { kind: "invalid_input", field: "headers", message: `line ${index + 1}: write a header as “Key: value”` });
    headers.push({ key: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

function bodyText(body) {
  if (body === null || body === undefined) return "";
  return typeof body === "string" ? body : JSON.stringify(body, null, 2);
}

export class SampleAnswerPanel {
  constructor(builder) {
    this.builder = builder;
    $("sample-save").addEventListener("click", () => this.save());
    $("sample-run").addEventListener("click", () => this.runAgainst());
    $("sample-delete").addEventListener("click", () => this.remove());
    if (builder.id !== null) this.load();
  }

  say(text) {
    $("sample-answer-state").textContent = text;
  }

  // The webhook was saved for the first time: a sample may be kept from now on.
  saved() {
    $("sample-answer-unsaved").hidden = true;
    $("sample-answer-fields").hidden = false;
  }

  show(sample) {
    $("sample-status").value = String(sample.status);
    $("sample-headers").value = headersText(sample.headers);
    $("sample-body").value = sample.body;
    const where = sample.source === "run" ? `taken from run ${sample.run_id}` : "typed";
    this.say(`Sample answer stored (${where}).`);
  }

  clearErrors() {
    for (const id of Object.values(FIELDS)) $(`${id}-error`).hidden = true;
  }

  showError(error) {
    const field = (error.field ?? "").split(/[.[]/)[0];
    const id = FIELDS[field];
    if (id) {
      $(`${id}-error`).textContent = error.message;
      $(`${id}-error`).hidden = false;
      $(id).focus();
    } else {
      this.say(error.message);
    }
  }

  async load() {
    try {
      this.show(await api("GET", `/webhooks/${this.builder.id}/sample`));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.say(error.status === 404 ? "No sample answer yet: type one, or use a run's answer." : error.message);
    }
  }

  typed() {
    const status = Number($("sample-status").value);
    return { status: Number.isInteger(status) ? status : $("sample-status").value, headers: parseHeaders($("sample-headers").value), body: $("sample-body").value };
  }

  async save() {
    if (this.builder.id === null) return;
    this.clearErrors();
    try {
      this.show(await api("PUT", `/webhooks/${this.builder.id}/sample`, this.typed()));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.showError(error);
    }
  }

  async remove() {
    if (this.builder.id === null) return;
    try {
      await api("DELETE", `/webhooks/${this.builder.id}/sample`);
      this.say("Sample answer deleted.");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.showError(error);
    }
  }

  // A run's answer as the sample: a stored run by its id, a draft run's answer as typed.
  async takeFrom(result, runId) {
    if (this.builder.id === null) return;
    this.clearErrors();
    try {
      const path = `/webhooks/${this.builder.id}/sample`;
      let sample;
      if (runId) {
        sample = await api("POST", `${path}/from-run`, { run_id: runId });
      } else {
        const response = result.response;
        const headers = response.headers.filter((h) => !WIRE_HEADERS.has(h.key.toLowerCase()));
        sample = await api("PUT", path, { status: response.status, headers, body: bodyText(response.body) });
      }
      this.show(sample);
      $("section-sample-answer").scrollIntoView({ behavior: "instant", block: "start" });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.showError(error);
    }
  }

  // The form as it is (unsaved mappers included) with the sample as the API's answer.
  async runAgainst() {
    if (this.builder.id === null) return;
    const conversation = this.builder.sample();
    if (conversation === null) return;
    this.clearErrors();
    const body = { conversation };
    if (this.builder.dirty) body.definition = this.builder.collect();
    try {
      const result = await api("POST", `/webhooks/${this.builder.id}/sample/run`, body);
      this.builder.showResult(result);
      $("section-run").scrollIntoView({ behavior: "instant", block: "start" });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.builder.showError(error, "Not run");
    }
  }
}
