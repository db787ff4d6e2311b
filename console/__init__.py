"""The staff console (職員向け管理画面): FAQ curation, unanswered questions, handoff, numbers.

Mounted by channels.gateway.create_app under /staff/. Keep this module import-light: the
migrations import console.models.
"""
