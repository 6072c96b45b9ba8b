// cURL in and out: a command pasted into the API endpoint fills the form; "Copy as cURL" exports.

import { api, ApiError } from "./api.js";
import { fillAuthFields } from "./auth-kinds.js";
import { joinUrl } from "./urlparts.js";

const $ = (id) => document.getElementById(id);
const CURL = /^\s*(?:\$\s+)?curl(?:\.exe)?\s/i;

export function looksLikeCurl(text) {
  return CURL.test(text);
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

// What the status line says was imported, in the words of the form.
function summary(definition) {
  const parts = [`${definition.method} ${definition.url}`];
  if (definition.headers.length) parts.push(plural(definition.headers.length, "header"));
  if (definition.params.length) parts.push(plural(definition.params.length, "param"));
  if (definition.auth.type !== "none") parts.push(`${definition.auth.type} authentication`);
  if (definition.body !== null) parts.push("a body");
  if (definition.timeout !== undefined) parts.push(`a ${definition.timeout} s time-out`);
  return `Imported from cURL: ${parts.join(", ")}. Check the form, then save.`;
}

// Fill the open form with imported definition data (from cURL or OpenAPI).
export function fill(builder, definition) {
  $("method").value = definition.method;
  builder.params.setAll(definition.params);
  $("url").value = joinUrl(definition.url, definition.params);
  builder.headers.setAll(definition.headers);
  const auth = definition.auth;
  $("auth-type").value = auth.type;
  $("auth-username").value = auth.username ?? "";
  $("auth-password").value = auth.password ?? "";
  $("auth-token").value = auth.token ?? "";
  fillAuthFields(auth);
  builder.showAuth();
  builder.body.value = definition.body ?? "";
  if (definition.timeout !== undefined) $("timeout").value = String(definition.timeout);
  if (!$("name").value.trim()) {
    $("name").value = definition.name;
    $("name").dispatchEvent(new Event("input"));
  }
  builder.followUrl();
  builder.markDirty();
}

// Import `command` into the open form; the URL field keeps what it held if the import fails.
export async function importCurl(builder, command, previousUrl) {
  const status = $("curl-status");
  status.textContent = "Importing the cURL command…";
  builder.clearErrors();
  try {
    const definition = await api("POST", "/import/curl", { curl: command });
    fill(builder, definition);
    status.textContent = summary(definition);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    $("url").value = previousUrl;
    status.textContent = "";
    builder.showError({ kind: error.kind, message: error.message, field: "url" }, "Not imported");
  }
}

// The multi-line command straight from the clipboard: a text input would drop its line breaks.
export function wireCurlPaste(builder) {
  const url = $("url");
  url.addEventListener("paste", (event) => {
    const text = event.clipboardData?.getData("text/plain") ?? "";
    if (!looksLikeCurl(text)) return;
    event.preventDefault();
    importCurl(builder, text, url.value);
  });
  $("copy-curl").addEventListener("click", () => copyAsCurl(builder));
}

async function copyAsCurl(builder) {
  const status = $("curl-export-status");
  const output = $("curl-output");
  const response = await fetch(`/api/v1/webhooks/${builder.id}/curl`, { credentials: "same-origin" });
  if (!response.ok) {
    status.textContent = `Could not export this webhook (the server answered ${response.status}).`;
    $("curl-export").hidden = false;
    return;
  }
  const command = (await response.text()).trimEnd();
  output.textContent = command;
  $("curl-export").hidden = false;
  const saved = builder.dirty ? " It shows the saved webhook, not your unsaved changes." : "";
  const secrets = "Secrets are never shown: set $HOOKSMITH_TOKEN or $HOOKSMITH_PASSWORD in your shell.";
  try {
    await navigator.clipboard.writeText(command);
    status.textContent = `Copied as cURL. ${secrets}${saved}`;
  } catch {
    status.textContent = `Select the command below to copy it. ${secrets}${saved}`;
  }
}
