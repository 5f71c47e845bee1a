"""Payment providers and the webhooks they call."""
