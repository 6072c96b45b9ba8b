// The API endpoint as typed: its address part, its query as Params rows, and its placeholders.

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(["certainly", "fb"]);

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function encode(text, isKey) {
  let out = text.replace(/%/g, "%25").replace(/&/g, "%26").replace(/#/g, "%23");
  if (isKey) out = out.replace(/=/g, "%3D");
  return out;
}

// Where the query starts: the first "?" outside a {{ placeholder }}.
function queryStart(url) {
  let depth = 0;
  for (let i = 0; i < url.length; i += 1) {
    if (url.startsWith("{{", i)) { depth += 1; i += 1; continue; }
    if (url.startsWith("}}", i) && depth) { depth -= 1; i += 1; continue; }
    if (depth === 0 && (url[i] === "?" || url[i] === "#")) return i;
  }
  return -1;
}

export function splitUrl(url) {
  const start = queryStart(url);
  if (start < 0) return { base: url, pairs: [], hasQuery: false };
  const base = url.slice(0, start);
  let query = url.slice(start);
  if (query.startsWith("#")) return { base: url, pairs: [], hasQuery: false };
  query = query.slice(1).split("#")[0];
  const pairs = query
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const at = part.indexOf("=");
      const key = at < 0 ? part : part.slice(0, at);
      const value = at < 0 ? "" : part.slice(at + 1);
      return { key: decode(key), value: decode(value) };
    });
  return { base, pairs, hasQuery: true };
}

export function joinUrl(base, pairs) {
  const used = pairs.filter((pair) => pair.key !== "" || pair.value !== "");
  if (!used.length) return base;
  return `${base}?${used.map((p) => `${encode(p.key, true)}=${encode(p.value, false)}`).join("&")}`;
}

// The names a Context value can fill: simple {{ name }} placeholders of the address part.
export function contextNames(base) {
  const names = [];
  for (const match of base.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (NAME.test(name) && !RESERVED.has(name) && !names.includes(name)) names.push(name);
  }
  return names;
}
