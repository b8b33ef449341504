"""candibot: a chatbot for local People's Congress elections."""
