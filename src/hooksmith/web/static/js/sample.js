// Sample conversation data for test runs: every reserved variable of the article, editable.

export const SAMPLE_CONVERSATION = {
  certainly: {
    sessionId: "c0ffee00-1234-4abc-9def-000000000001",
    reply: "I want to know where my order is",
    replyData: { orderNumber: "1042" },
    extractedData: { email: "ana@example.com", orderNumber: "1042" },
    customVariables: { userName: "Ana" },
    botId: "5b2f9a0e-7d1c-4e8b-9a3f-2c6d8e1f4a70",
    botDeploymentId: "8e1f4a70-5b2f-4e8b-9a3f-2c6d9a0e7d1c",
    moduleId: 17,
    direction: "in",
    to: "web-widget",
    from: "visitor-2719",
    botTrainedModelId: "a3f2c6d8-e1f4-4a70-5b2f-9a0e7d1c4e8b",
    attachedMedia: "",
  },
  fb: { firstName: "Ana", lastName: "Silva" },
  userName: "Ana",
  orderNumber: "1042",
};

function storageKey(webhookId) {
  return `hooksmith.sample.${webhookId || "new"}`;
}

export function loadSample(webhookId) {
  try {
    return localStorage.getItem(storageKey(webhookId)) ?? JSON.stringify(SAMPLE_CONVERSATION, null, 2);
  } catch {
    return JSON.stringify(SAMPLE_CONVERSATION, null, 2);
  }
}

export function keepSample(webhookId, text) {
  try {
    localStorage.setItem(storageKey(webhookId), text);
  } catch {
    // Storage may be unavailable (private mode); the sample then lasts as long as the page.
  }
}
