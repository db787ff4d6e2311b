"""The base layer: settings, office hours, privacy, logging, the database and the turn contract.

Imports nothing else of the repo; loaded by both environments (the app and the Rasa server)."""
