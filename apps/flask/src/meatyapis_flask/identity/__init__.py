"""The identity service as the catalog's token verifier: a token cache in front of a resilient
HTTP client (deadline, retries with backoff, circuit breaker), with outbound metrics and trace
context."""
