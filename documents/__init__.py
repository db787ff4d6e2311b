"""The city's own pages and files (HTML, PDF, DOCX, XLSX, TXT) as extractive answer sources.

A library beside `faq/`: extraction (`extract`), passages (`passages`), the database tables and
store (`models`, `store`), the hybrid passage index (`index`), import (`importer`) and search
(`service`). It reuses the FAQ search's encoder, Japanese analyzer and BM25.
"""
