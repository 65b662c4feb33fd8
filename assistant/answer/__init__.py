"""Answering: find the sentences that answer, compose, cite, and check every number."""
