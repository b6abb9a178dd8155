"""Documented defaults of the local stack. Development values, never production secrets:
an environment variable of the same name wins over each of them."""

LOCAL_DEFAULTS = {
    "MALL_JWT_SECRET": "local-dev-jwt-secret-change-me-0123456789",
    "PAYMENT_WEBHOOK_SECRET": "local-dev-webhook-secret-0123456789",
}
