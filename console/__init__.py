"""The staff console (職員向け管理画面): FAQ curation, unanswered questions, handoff, numbers.

Mounted under /staff/ by the app (madoguchi), beside the gateway's channels.
"""
