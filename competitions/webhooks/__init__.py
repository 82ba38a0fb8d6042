"""Webhooks: an agency's HTTPS endpoints told of events, signed per the Standard Webhooks
specification and delivered through the outbox (issue 18, point 4).

So far: ``signing`` (the signature scheme) and ``destinations`` (the check, at each delivery,
that an address does not lead into the server's own network). Endpoints, subscriptions and
deliveries come next.
"""
