"""Rasa-side code of madoguchi: custom NLU components. Imported only in the Rasa environment."""
