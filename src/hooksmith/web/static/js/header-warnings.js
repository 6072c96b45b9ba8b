// A warning under the Headers while a value holds non-ASCII text: it is sent as UTF-8, which
// many servers read as Latin-1, so it may arrive garbled. It is sent as written, not refused.

const NON_ASCII = /[^\x00-\x7f]/;

function garbled(char) {
  const bytes = new TextEncoder().encode(char);
  return [...bytes].map((byte) => (byte >= 0xa0 ? String.fromCharCode(byte) : "?")).join("");
}

export function headerWarnings(table) {
  const warnings = [];
  table.querySelectorAll("tbody [data-row]").forEach((row, index) => {
    const value = row.querySelector('[data-part="value"]')?.value ?? "";
    const found = NON_ASCII.exec(value);
    if (!found) return;
    const char = found[0].codePointAt(0) > 0xffff ? String.fromCodePoint(value.codePointAt(found.index)) : found[0];
    warnings.push(
      `Header ${index + 1} value: “${char}” is not ASCII. It is sent as UTF-8, which many servers read as Latin-1, `
      + `so it may arrive garbled (“${char}” as “${garbled(char)}”). Percent-encode or Base64-encode it if the API expects that.`,
    );
  });
  return warnings;
}

function show(table, box) {
  box.replaceChildren(...headerWarnings(table).map((text) => Object.assign(document.createElement("p"), { className: "warning", textContent: text })));
}

const table = document.getElementById("headers-table");
const box = document.getElementById("header-warnings");
if (table && box) {
  table.addEventListener("input", () => show(table, box));
  // Rows removed, or filled from a pasted cURL command, change the table without an input event.
  new MutationObserver(() => show(table, box)).observe(table.tBodies[0], { childList: true });
  show(table, box);
}
