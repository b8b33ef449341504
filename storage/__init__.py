"""Everything that touches the database: schema, migrations, queries and search keys.

Storage imports nothing from ``bot`` or ``handlers``; it satisfies the core's
ports (``bot.core.ports``) by shape.
"""
