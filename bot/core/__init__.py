"""The platform-neutral core: events in, replies out, routing, state and languages.

Nothing here imports a chat platform, a handler or the storage layer; the
composition root in ``bot.app`` wires those together.
"""
