"""Shared plumbing: database base and types, clock, mail, storage, errors, audit."""
