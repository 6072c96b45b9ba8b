// Actions on a stored webhook: Duplicate (opens the copy) and Delete (asks, then back to the list).

import { api, ApiError } from "./api.js";
import { choose } from "./dialogs.js";

const $ = (id) => document.getElementById(id);

export function wireStoredActions(builder) {
  $("duplicate").addEventListener("click", () => duplicate(builder));
  $("delete").addEventListener("click", () => remove(builder));
}

async function duplicate(builder) {
  // The copy is made of what is stored: save the form's changes first, as a run does.
  if (builder.dirty && !(await builder.save())) return;
  try {
    const copy = await api("POST", `/webhooks/${builder.id}/duplicate`);
    builder.leave(`/webhooks/${copy.id}`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    builder.showError(error, "Not duplicated");
  }
}

async function remove(builder) {
  const dialog = $("confirm-delete");
  dialog.querySelector("[data-delete-name]").textContent = $("name").value;
  if ((await choose(dialog, "cancel")) !== "delete") return;
  try {
    await api("DELETE", `/webhooks/${builder.id}`);
    builder.leave("/webhooks");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    builder.showError(error, "Not deleted");
  }
}
