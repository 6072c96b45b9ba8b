// The fields of the API key, OAuth2 and HMAC kinds of authentication: which inputs each kind
// has, and the auth object they make. A secret left empty is left out (the saved one is kept).

const $ = (id) => document.getElementById(id);

const KINDS = {
  api_key: { plain: ["location", "name"], secret: "key" },
  oauth2: { plain: ["token_url", "client_id", "scope", "audience", "client_auth"], secret: "client_secret" },
  hmac: { plain: ["signature_header", "timestamp_header"], secret: "secret" },
};
const OPTIONAL = new Set(["scope", "audience"]);

export const AUTH_SECRETS = Object.values(KINDS).map((kind) => kind.secret);
export const AUTH_INPUTS = Object.values(KINDS).flatMap((kind) => [...kind.plain, kind.secret]).map((name) => `auth-${name}`);

export function authFields(type) {
  const kind = KINDS[type];
  if (!kind) return {};
  const auth = {};
  for (const name of kind.plain) {
    const value = $(`auth-${name}`).value;
    if (OPTIONAL.has(name) && value.trim() === "") continue;
    auth[name] = value;
  }
  const secret = $(`auth-${kind.secret}`).value;
  if (secret) auth[kind.secret] = secret;
  return auth;
}

// Fill the chosen kind's inputs from imported auth data (cURL, OpenAPI); a value left out empties it.
export function fillAuthFields(auth) {
  const kind = KINDS[auth.type];
  if (!kind) return;
  for (const name of [...kind.plain, kind.secret]) {
    const input = $(`auth-${name}`);
    const value = auth[name];
    if (input.tagName === "SELECT") {
      if (value) input.value = value;
    } else {
      input.value = value ?? "";
    }
  }
}
