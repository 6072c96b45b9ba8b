// "Format" for body templates: re-indents JSON while keeping {{ }}, {% %} tags and comments as written.

function readTag(text, i) {
  const close = { "{{": "}}", "{%": "%}", "{#": "#}" }[text.slice(i, i + 2)];
  const end = text.indexOf(close, i + 2);
  if (end < 0) throw new SyntaxError(`an unclosed ${text.slice(i, i + 2)} tag at line ${lineOf(text, i)}`);
  return end + 2;
}

function lineOf(text, index) {
  return text.slice(0, index).split("\n").length;
}

export function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (/\s/.test(c)) { i += 1; continue; }
    if (two === "{{" || two === "{%" || two === "{#") {
      const end = readTag(text, i);
      tokens.push({ type: "tag", text: text.slice(i, end) });
      i = end;
    } else if (two === "//") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      tokens.push({ type: "line-comment", text: text.slice(i, stop).trimEnd() });
      i = stop;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError(`an unclosed /* comment at line ${lineOf(text, i)}`);
      tokens.push({ type: "block-comment", text: text.slice(i, end + 2) });
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        const pair = text.slice(j, j + 2);
        if (text[j] === "\\") j += 2;
        else if (pair === "{{" || pair === "{%" || pair === "{#") j = readTag(text, j);
        else if (text[j] === "\n") throw new SyntaxError(`a string without its closing quote at line ${lineOf(text, i)}`);
        else j += 1;
      }
      if (j >= text.length) throw new SyntaxError(`a string without its closing quote at line ${lineOf(text, i)}`);
      tokens.push({ type: "string", text: text.slice(i, j + 1) });
      i = j + 1;
    } else if ("{}[],:".includes(c)) {
      tokens.push({ type: c, text: c });
      i += 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{}[\],:"]/.test(text[j]) && text.slice(j, j + 2) !== "//" && text.slice(j, j + 2) !== "/*") j += 1;
      tokens.push({ type: "word", text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

export function formatBody(text, indentBy = "  ") {
  const tokens = tokenize(text);
  let out = "";
  let depth = 0;
  const newline = () => {
    out = out.trimEnd();
    if (out) out += `\n${indentBy.repeat(depth)}`;
  };
  tokens.forEach((token, index) => {
    const next = tokens[index + 1];
    switch (token.type) {
      case "{":
      case "[":
        out += token.text;
        if (next && next.type === (token.type === "{" ? "}" : "]")) break;
        depth += 1;
        newline();
        break;
      case "}":
      case "]": {
        const previous = tokens[index - 1];
        if (previous && previous.type === (token.type === "}" ? "{" : "[")) { out += token.text; break; }
        depth = Math.max(0, depth - 1);
        newline();
        out += token.text;
        break;
      }
      case ",":
        out += ",";
        if (next?.type === "line-comment") break;
        newline();
        break;
      case ":":
        out += ": ";
        break;
      case "line-comment":
        out = `${out.trimEnd()} ${token.text}`;
        if (next && next.type !== "}" && next.type !== "]") newline();
        break;
      default:
        out += token.text;
    }
  });
  return `${out.trimEnd()}\n`;
}
