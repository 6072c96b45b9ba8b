// One run's page: its stored response body as a collapsible tree, and its request as cURL.

import { inFormWords } from "./field-names.js";
import { renderTree } from "./tree.js";

// Warnings name fields by their API path (`headers[0].value: …`): say them in the form's words.
for (const warning of document.querySelectorAll("p.warning[data-run-warning]")) {
  warning.textContent = inFormWords(warning.textContent);
}

const data = document.getElementById("response-data");
const tree = document.getElementById("response-tree");
if (data && tree) renderTree(tree, JSON.parse(data.textContent));

const copy = document.getElementById("copy-run-curl");
copy?.addEventListener("click", async () => {
  const status = document.getElementById("run-curl-status");
  const output = document.getElementById("run-curl");
  const response = await fetch(`/api/v1/runs/${encodeURIComponent(copy.dataset.runId)}/curl`, { credentials: "same-origin" });
  if (!response.ok) {
    status.textContent = `Could not export this run (the server answered ${response.status}).`;
    return;
  }
  output.textContent = (await response.text()).trimEnd();
  output.hidden = false;
  const secrets = "Redacted secrets are shown as $HOOKSMITH_… variables.";
  try {
    await navigator.clipboard.writeText(output.textContent);
    status.textContent = `Copied as cURL. ${secrets}`;
  } catch {
    status.textContent = `Select the command below to copy it. ${secrets}`;
  }
});
