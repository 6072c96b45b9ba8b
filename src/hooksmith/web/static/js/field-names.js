// The words of the form for a field path of the API: `headers[1].value` → "Header 2 value",
// `timeout` → "Time-out", so messages name what a person sees, not a JSON path.

const FIELDS = {
  name: "Name",
  company: "Assign to",
  method: "HTTP request method",
  url: "API endpoint",
  response_type: "Response type",
  execution: "Conversation execution",
  timeout: "Time-out",
  auth: "Authentication",
  "auth.type": "Type of authentication",
  "auth.username": "Username",
  "auth.password": "Password",
  "auth.token": "Token",
  "auth.location": "Send the key in",
  "auth.name": "Header or parameter name",
  "auth.key": "API key",
  "auth.token_url": "OAuth2 endpoint URL",
  "auth.client_id": "Client ID",
  "auth.client_secret": "Client secret",
  "auth.scope": "Scope",
  "auth.audience": "Audience",
  "auth.client_auth": "Send the client credentials",
  "auth.secret": "Signing secret",
  "auth.signature_header": "Signature header",
  "auth.timestamp_header": "Timestamp header",
  headers: "Headers",
  params: "Params",
  context: "Context",
  body: "Body",
  custom_variables: "Custom Variables",
  success_condition: "Success condition",
  retry: "Retries",
  "retry.attempts": "Retry attempts",
  "retry.on": "Retry when an attempt ends with",
  "retry.non_idempotent": "Also retry POST and PATCH",
  host_from_conversation: "Let conversation data choose the host",
  conversation: "Sample conversation data",
};
const ROWS = {
  headers: ["Header", { key: "name", value: "value" }],
  params: ["Param", { key: "name", value: "value" }],
  custom_variables: ["Custom variable", { name: "name", mapper: "Response Mapper", default: "default" }],
};
const ROW = /^(headers|params|custom_variables)\[(\d+)\](?:\.(\w+))?$/;
const PREFIX = /^([A-Za-z_][\w.]*(?:\[\d+\][\w.]*)*): /;

// The label of `path` in the form, or null when the form has no name for it.
export function fieldName(path) {
  if (!path) return null;
  const row = ROW.exec(path);
  if (row) {
    const [noun, parts] = ROWS[row[1]];
    const part = row[3] ? parts[row[3]] ?? row[3] : "";
    return `${noun} ${Number(row[2]) + 1}${part ? ` ${part}` : ""}`;
  }
  if (path in FIELDS) return FIELDS[path];
  const context = /^context\.(.+)$/.exec(path);
  if (context) return `Context value ${context[1]}`;
  return labelOf(path);
}

// The text of the label of the form's control for `path` (a field the table above does not name).
function labelOf(path) {
  const control = document.querySelector(`[data-field="${CSS.escape(path)}"]`);
  const label = control?.labels?.[0]?.textContent.trim();
  return label || null;
}

// "Body line 3" for a body error that names its line, else the body's own name.
export function bodyName(message) {
  const line = /line (\d+)/.exec(message ?? "");
  return line ? `Body line ${line[1]}` : "Body";
}

// A message split into the form's name of its field and what is wrong: `timeout: must be …`
// → {name: "Time-out", rest: "must be …"}; `field` names it when the message does not. A body
// error's line goes into the name ("Body line 3"), said once.
export function faultWords(message, field = null) {
  const words = splitFault(message, field);
  if (words.name?.startsWith("Body line")) words.rest = words.rest.replace(/^line \d+(?:, column \d+)?: /, "");
  return words;
}

function splitFault(message, field) {
  const text = message ?? "";
  const found = PREFIX.exec(text);
  if (found && (fieldName(found[1]) || found[1].startsWith("body"))) {
    const path = found[1];
    return { name: path.startsWith("body") ? bodyName(text) : fieldName(path), rest: text.slice(found[0].length) };
  }
  const name = field?.startsWith("body") ? bodyName(text) : fieldName(field);
  if (!name) return { name: null, rest: text };
  // `default: too large` for custom_variables[0].default: the prefix is the field's last part.
  const rest = found && field.endsWith(found[1]) ? text.slice(found[0].length) : text;
  return { name, rest };
}

// The message said with the form's words: `timeout: must be …` → `Time-out: must be …`.
export function inFormWords(message, field = null) {
  const { name, rest } = faultWords(message, field);
  return name ? `${name}: ${rest}` : rest;
}
