// Calls to the JSON API with the session cookie and the CSRF header; errors keep the API's shape.

export class ApiError extends Error {
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.kind = error.kind;
    this.field = error.field ?? null;
    // Every fault found (an invalid definition lists them all); else the one error itself.
    this.errors = error.errors?.length ? error.errors : [{ field: this.field, message: error.message }];
  }
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? "";
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { kind: "network", message: "The server could not be reached. Check your connection and try again." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data?.error ?? { kind: "http_error", message: `The server answered ${response.status}.` };
    throw new ApiError(response.status, error);
  }
  return data;
}
