"""The operators' console (/console) and the shoppers' mall page (/mall): static pages that call the API."""
