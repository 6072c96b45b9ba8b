// The body editor: a textarea with line numbers, an error shown at its line, and "Format";
// JSON and Jinja highlighted on a layer under the textarea (whose own text is transparent),
// and completion of the names a body can use.

import { Completion } from "./completion.js";
import { formatBody } from "./format.js";
import { highlight } from "./highlight.js";

// What the form knows of the conversation: Context keys, custom variables, the sample's data.
function namesInForm() {
  const context = [...document.querySelectorAll("#context-fields [data-context]")].map((input) => input.dataset.context);
  const variables = [...document.querySelectorAll('#custom_variables-table [data-part="name"]')]
    .map((input) => input.value.trim())
    .filter((name) => /^[A-Za-z_]\w*$/.test(name));
  let sample = {};
  try {
    sample = JSON.parse(document.getElementById("sample")?.value ?? "{}") ?? {};
  } catch {
    // A sample being edited may not parse: its names are left out until it does.
  }
  return { context, variables, sample };
}

export class BodyEditor {
  constructor({ textarea, gutter, error, formatButton, onChange }) {
    this.textarea = textarea;
    this.gutter = gutter;
    this.error = error;
    this.errorLine = null;
    this.onChange = onChange;
    this.layer = document.createElement("pre");
    this.layer.className = "highlight";
    this.layer.setAttribute("aria-hidden", "true");
    const box = document.createElement("div");
    box.className = "editor-text";
    textarea.before(box);
    box.append(this.layer, textarea);
    textarea.classList.add("highlighted");
    textarea.addEventListener("input", () => { this.renumber(); this.onChange(); });
    textarea.addEventListener("scroll", () => this.follow());
    this.completion = new Completion({
      textarea,
      known: namesInForm,
      onInsert: () => textarea.dispatchEvent(new Event("input", { bubbles: true })),
    });
    formatButton.addEventListener("click", () => this.format());
    this.renumber();
  }

  get value() {
    return this.textarea.value;
  }

  set value(text) {
    this.textarea.value = text;
    this.clearError();
    this.renumber();
  }

  renumber() {
    const count = this.textarea.value.split("\n").length;
    const lines = [];
    for (let n = 1; n <= count; n += 1) {
      lines.push(n === this.errorLine ? `<span class="bad-line" title="error on this line">${n}</span>` : String(n));
    }
    this.gutter.innerHTML = lines.join("\n");
    // A trailing newline needs a character after it to take up its line in the layer.
    this.layer.innerHTML = `${highlight(this.textarea.value)} `;
    this.follow();
  }

  follow() {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.layer.scrollTop = this.textarea.scrollTop;
    this.layer.scrollLeft = this.textarea.scrollLeft;
  }

  showError(message, line = null) {
    this.errorLine = line;
    this.error.textContent = line ? `Line ${line}: ${message}` : message;
    this.error.hidden = false;
    this.textarea.setAttribute("aria-invalid", "true");
    this.textarea.classList.add("invalid");
    this.renumber();
  }

  clearError() {
    this.errorLine = null;
    this.error.hidden = true;
    this.error.textContent = "";
    this.textarea.removeAttribute("aria-invalid");
    this.textarea.classList.remove("invalid");
    this.renumber();
  }

  format() {
    if (!this.textarea.value.trim()) return;
    try {
      this.textarea.value = formatBody(this.textarea.value);
    } catch (error) {
      const line = Number(/line (\d+)/.exec(error.message)?.[1]) || null;
      this.showError(`Cannot format: ${error.message}`, line);
      return;
    }
    this.renumber();
    this.onChange();
  }
}

// "body: line 4, column 1: Expecting value" → { line: 4, message: "column 1: Expecting value" }
export function bodyProblem(message) {
  const text = message.replace(/^body:\s*/, "");
  const match = /^line (\d+)[,:]?\s*(.*)$/s.exec(text);
  if (!match) return { line: null, message: text };
  return { line: Number(match[1]), message: match[2] || text };
}
