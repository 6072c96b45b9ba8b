// Custom variables as the API takes them: a default typed as a JSON literal (7, true, "x",
// {"a": 1}) is that value; any other text is a string; an empty one means no default.

export function parseDefault(text) {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function variableDefinitions(rows) {
  return rows.map(({ name, mapper, default: text = "" }) => {
    const value = parseDefault(text);
    return value === null ? { name, mapper } : { name, mapper, default: value };
  });
}
