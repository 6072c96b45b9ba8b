// Highlighting of a webhook body: JSON (strings, numbers, literals, // comments) with Jinja
// blocks ({{ … }}, {% … %}, {# … #}) anywhere, also inside JSON strings. The result is HTML for
// the layer drawn under the editor's textarea; every piece of text is escaped.

const KEYWORDS = new Set([
  "if", "elif", "else", "endif", "for", "in", "endfor", "is", "not", "and", "or", "defined",
  "set", "endset", "with", "endwith", "none", "None", "true", "false", "True", "False",
  "undefined", "loop", "raw", "endraw",
]);
const CLOSERS = { "{{": "}}", "{%": "%}" };

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function span(kind, text) {
  return text ? `<span class="tok-${kind}">${escape(text)}</span>` : "";
}

// The inside of {{ … }} or {% … %}: names, properties, filters, keywords, strings, numbers.
function expression(text) {
  const out = [];
  const pattern = /('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)|(\d+(?:\.\d+)?)|([A-Za-z_]\w*)|(\s+)|([^\w\s'"]+)/g;
  let previous = "";
  for (const match of text.matchAll(pattern)) {
    const [token, string, number, name, space] = match;
    if (string) out.push(span("jstring", token));
    else if (number) out.push(span("number", token));
    else if (name) {
      let kind = "var";
      if (previous.endsWith(".")) kind = "prop";
      else if (previous.endsWith("|")) kind = "filter";
      else if (KEYWORDS.has(name)) kind = "keyword";
      out.push(span(kind, token));
    } else if (space) out.push(escape(token));
    else out.push(span("op", token));
    if (!space) previous = token;
  }
  return out.join("");
}

// The Jinja block starting at `start` (at "{{", "{%" or "{#"): its HTML and where it ends.
function jinja(text, start) {
  const opener = text.slice(start, start + 2);
  if (opener === "{#") {
    const end = text.indexOf("#}", start + 2);
    const stop = end < 0 ? text.length : end + 2;
    return [span("comment", text.slice(start, stop)), stop];
  }
  const closer = CLOSERS[opener];
  let index = start + 2;
  let quote = null;
  while (index < text.length) {
    const char = text[index];
    if (quote) {
      if (char === "\\") index += 1;
      else if (char === quote) quote = null;
    } else if (char === "'" || char === '"') quote = char;
    else if (text.startsWith(closer, index)) break;
    index += 1;
  }
  const closed = index < text.length;
  const html = span("delim", opener) + expression(text.slice(start + 2, index)) + (closed ? span("delim", closer) : "");
  return [`<span class="tok-jinja${closed ? "" : " tok-open"}">${html}</span>`, closed ? index + 2 : index];
}

function isJinja(text, index) {
  return text[index] === "{" && (text[index + 1] === "{" || text[index + 1] === "%" || text[index + 1] === "#");
}

// A JSON string from its opening quote: its pieces (Jinja blocks inside highlighted) and end.
function jsonString(text, start) {
  const out = [];
  let piece = '"';
  let index = start + 1;
  while (index < text.length && text[index] !== "\n") {
    const char = text[index];
    if (char === "\\") {
      piece += text.slice(index, index + 2);
      index += 2;
    } else if (isJinja(text, index)) {
      out.push(span("string", piece));
      piece = "";
      const [html, end] = jinja(text, index);
      out.push(html);
      index = end;
    } else {
      piece += char;
      index += 1;
      if (char === '"') break;
    }
  }
  out.push(span("string", piece));
  return [out.join(""), index];
}

export function highlight(text) {
  const out = [];
  let plain = "";
  const flush = () => { out.push(escape(plain)); plain = ""; };
  let index = 0;
  while (index < text.length) {
    const rest = text.slice(index, index + 6);
    let token = null;
    if (isJinja(text, index)) {
      token = jinja(text, index);
    } else if (text[index] === '"') {
      token = jsonString(text, index);
    } else if (rest.startsWith("//")) {
      const end = text.indexOf("\n", index);
      const stop = end < 0 ? text.length : end;
      token = [span("comment", text.slice(index, stop)), stop];
    } else {
      const match = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true\b|false\b|null\b|[{}[\],:])/.exec(text.slice(index, index + 40));
      if (match && !/\w/.test(text[index - 1] ?? "")) {
        const kind = /^[-\d]/.test(match[0]) ? "number" : /^[a-z]/.test(match[0]) ? "literal" : "punct";
        token = [span(kind, match[0]), index + match[0].length];
      }
    }
    if (token) {
      flush();
      out.push(token[0]);
      index = token[1];
    } else {
      plain += text[index];
      index += 1;
    }
  }
  flush();
  return out.join("");
}
