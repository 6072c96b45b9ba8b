// Drafts: the form checked as it is typed, run without saving, and a save that would clear a
// stored secret confirmed first. The rules live in the API (`/drafts/check`, `/drafts/run`):
// which secret a host change clears, and when the saved secret may be used, are decided there.

import { api, ApiError } from "./api.js";
import { choose } from "./dialogs.js";

const $ = (id) => document.getElementById(id);
const CHECK_DELAY_MS = 500;
const SECRET_NAMES = { token: "token", password: "password", key: "API key", client_secret: "client secret", secret: "signing secret" };

export class DraftChecker {
  constructor(builder) {
    this.builder = builder;
    this.marked = [];
    this.timer = null;
    this.asked = 0;
    const later = (event) => {
      if (event.target.closest?.("#section-run")) return; // sample data is not the webhook
      this.schedule();
    };
    builder.form.addEventListener("input", later);
    builder.form.addEventListener("change", later);
    builder.form.addEventListener("click", (event) => {
      // A row added or removed changes the webhook; Save, Run and the like do not.
      if (event.target.closest("button")?.closest(".card:not(#section-run)")) this.schedule();
    });
    this.savedUrl = $("url").value;
  }

  afterSave(view) {
    this.savedUrl = $("url").value;
    showNeedsSecret(view);
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), CHECK_DELAY_MS);
  }

  // Ask the API what is wrong with the form now; show it unless the form changed meanwhile.
  async check() {
    clearTimeout(this.timer);
    const definition = this.builder.collect();
    const asked = ++this.asked;
    let reply;
    try {
      reply = await api("POST", "/drafts/check", { definition, webhook_id: this.builder.id });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return null;
    }
    if (asked !== this.asked) return null;
    this.show(reply);
    return reply;
  }

  show(reply) {
    this.clear();
    for (const problem of reply.problems) {
      // The body has its own check with the sample data, which marks it at its line.
      if (problem.field === "body" || problem.field.startsWith("body")) continue;
      const element = this.builder.fieldElement(problem.field);
      // An empty field still being filled in is not worth a red mark while typing.
      if (!element || ("value" in element && element.value === "")) continue;
      this.mark(element, problem.field, problem.message);
    }
    const warning = $("secret-warning");
    if (reply.clears_secret) {
      warning.textContent = secretLossText(reply.clears_secret);
      warning.hidden = false;
    } else {
      warning.hidden = true;
    }
  }

  mark(element, field, message) {
    element.setAttribute("aria-invalid", "true");
    element.classList.add("invalid");
    const note = document.createElement("p");
    note.className = "field-error";
    note.dataset.problem = field;
    note.id = `problem-${this.marked.length}`;
    note.textContent = message;
    element.dataset.describedBefore = element.getAttribute("aria-describedby") ?? "";
    element.setAttribute("aria-describedby", note.id);
    const cell = element.closest("td");
    if (cell) cell.append(note);
    else (element.closest(".endpoint, label.check") ?? element).after(note);
    this.marked.push(element);
  }

  clear() {
    for (const element of this.marked) {
      if (element.getAttribute("aria-describedby")?.startsWith("problem-")) {
        const before = element.dataset.describedBefore;
        if (before) element.setAttribute("aria-describedby", before);
        else element.removeAttribute("aria-describedby");
      }
      if (!this.builder.form.querySelector(`.field-error[data-for="${CSS.escape(element.id || element.name || "")}"]`)) {
        element.removeAttribute("aria-invalid");
        element.classList.remove("invalid");
      }
    }
    this.marked = [];
    for (const note of this.builder.form.querySelectorAll(".field-error[data-problem]")) note.remove();
  }
}

export function secretLossText(secret) {
  const name = SECRET_NAMES[secret] ?? secret;
  return `Changing the host clears the saved ${name}: enter it again or keep the old host.`;
}

// Before a save: if it would clear the stored secret, say so and ask. True when the save may go on.
export async function confirmSecretLoss(builder, checker) {
  if (builder.id === null) return true;
  const reply = await checker.check();
  let secret = reply?.clears_secret;
  if (!reply) {
    // The API could not tell (busy, offline): ask whenever a kept secret meets a changed URL.
    const kept = [...document.querySelectorAll('[data-secret-set="true"]')]
      .find((input) => !input.closest("[hidden]") && input.value === "");
    if (!kept || $("url").value === checker.savedUrl) return true;
    secret = kept.id.replace("auth-", "");
  }
  if (!secret) return true;
  const dialog = $("confirm-secret-loss");
  dialog.querySelector("[data-secret-loss]").textContent = secretLossText(secret);
  dialog.querySelector("[data-secret-name]").textContent = SECRET_NAMES[secret] ?? secret;
  return (await choose(dialog, "cancel")) === "save";
}

// Run the form as it is. A saved webhook without changes runs as stored (kept in its run
// history); otherwise the draft runs: nothing is saved, and the saved secret is used only
// while the host is the one it was saved with (the API decides).
export async function runForm(builder, conversation) {
  if (builder.id !== null && !builder.dirty) {
    const run = await api("POST", `/webhooks/${builder.id}/test`, { conversation });
    return { result: run.result, runId: run.id };
  }
  const result = await api("POST", "/drafts/run", {
    definition: builder.collect(),
    webhook_id: builder.id,
    conversation,
  });
  return { result, runId: null };
}

// "Needs its token": shown while the auth requires a secret that is not stored.
export function showNeedsSecret(view) {
  const note = $("needs-secret");
  const secret = view.needs_secret;
  note.hidden = !secret;
  if (secret) note.textContent = `This webhook needs its ${SECRET_NAMES[secret] ?? secret}: enter it and save, or live runs fail.`;
}

// "Try it on the echo endpoint": this server's own /echo answers with what it received.
export function wireEchoTry(builder) {
  $("try-echo").addEventListener("click", () => {
    if (!$("name").value.trim()) {
      $("name").value = "Try the echo endpoint";
      $("name").dispatchEvent(new Event("input", { bubbles: true }));
    }
    const url = $("url");
    url.value = `${window.location.origin}/echo`;
    url.dispatchEvent(new Event("input", { bubbles: true }));
    builder.run();
  });
}

// Enter in a field no longer runs; Ctrl+Enter (⌘+Enter) does, from anywhere in the builder.
export function wireRunKeys(builder) {
  builder.form.addEventListener("submit", (event) => event.preventDefault());
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      builder.run();
    }
  });
}
