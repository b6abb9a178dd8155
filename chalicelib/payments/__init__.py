"""Payment intake: provider webhooks verified, normalised into one event, queued on SQS."""
