"""Conversations: turns kept as typed answers (store); follow-ups made standalone (followup)."""
