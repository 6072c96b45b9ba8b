"""hooksmith: a self-hostable Webhook Builder for chatbot conversations."""
