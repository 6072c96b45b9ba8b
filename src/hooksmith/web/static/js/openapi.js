// OpenAPI import on the new-webhook page: a document's operations, one of them fills the form,
// and the fields of its answer are offered as custom variables, one click each.

import { api, ApiError } from "./api.js";
import { fill } from "./curl.js";

const $ = (id) => document.getElementById(id);

function showError(builder, error, field) {
  $("openapi-status").textContent = "";
  builder.showError({ kind: error.kind, message: error.message, field }, "Not imported");
}

// `source` is {document: text} or {url}: what the API reads the document from.
async function loadOperations(builder, source) {
  const select = $("openapi-operation");
  select.disabled = true;
  $("openapi-apply").disabled = true;
  $("openapi-status").textContent = "Reading the document…";
  builder.clearErrors();
  try {
    const { operations } = await api("POST", "/import/openapi", source);
    select.replaceChildren(...operations.map((op) => {
      const label = `${op.method} ${op.path}${op.summary ? ` — ${op.summary}` : ""}`;
      return new Option(label, op.operation_id ?? `${op.method} ${op.path}`);
    }));
    select.disabled = false;
    $("openapi-apply").disabled = false;
    $("openapi-status").textContent = `${operations.length} operation${operations.length === 1 ? "" : "s"} found: pick one.`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(builder, error, source.url ? "openapi-url" : "openapi-file");
  }
}

function offerMappers(builder, mappers) {
  const list = $("openapi-mapper-list");
  list.replaceChildren(...mappers.map(({ name, mapper }) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Add ${name} ← ${mapper}`;
    button.addEventListener("click", () => {
      builder.variables.add({ name, mapper });
      builder.markDirty();
      button.disabled = true;
    });
    item.append(button);
    return item;
  }));
  $("openapi-mappers").hidden = mappers.length === 0;
}

async function applyOperation(builder, source) {
  builder.clearErrors();
  const server = $("openapi-server").value.trim();
  const request = { ...source, operation: $("openapi-operation").value };
  if (server) request.server = server;
  try {
    const imported = await api("POST", "/import/openapi", request);
    const { definition } = imported;
    Object.assign(builder.context.values, definition.context);
    fill(builder, definition);
    for (const [name, value] of Object.entries(definition.context)) {
      const input = document.getElementById(`context-${name}`);
      if (input) input.value = value;
    }
    offerMappers(builder, imported.suggested_mappers);
    const notes = imported.notes.length ? ` ${imported.notes.join("; ")}.` : "";
    $("openapi-status").textContent = `Imported ${definition.method} ${definition.url}.${notes} Check the form, then save.`;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(builder, error, error.field === "server" ? "openapi-server" : "openapi-operation");
  }
}

export function wireOpenApiImport(builder) {
  let source = {};
  $("openapi-file").addEventListener("change", async (event) => {
    const file = event.target.files?.[0];
    if (!file) return;
    source = { document: await file.text() };
    await loadOperations(builder, source);
  });
  $("openapi-fetch").addEventListener("click", async () => {
    source = { url: $("openapi-url").value.trim() };
    await loadOperations(builder, source);
  });
  $("openapi-apply").addEventListener("click", () => applyOperation(builder, source));
}
