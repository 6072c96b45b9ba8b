// The body editor: a textarea with line numbers, an error shown at its line, and "Format".

import { formatBody } from "./format.js";

export class BodyEditor {
  constructor({ textarea, gutter, error, formatButton, onChange }) {
    this.textarea = textarea;
    this.gutter = gutter;
    this.error = error;
    this.errorLine = null;
    this.onChange = onChange;
    textarea.addEventListener("input", () => { this.renumber(); this.onChange(); });
    textarea.addEventListener("scroll", () => { this.gutter.scrollTop = this.textarea.scrollTop; });
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
    this.gutter.scrollTop = this.textarea.scrollTop;
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
