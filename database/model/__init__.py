"""The mongoengine documents, with the reference server's collection and field names."""

from __future__ import annotations

from mongoengine import Document


def document_classes() -> list[type[Document]]:
    """Every stored document class, of both connections (tests/unit/test_document_locks.py
    checks that none is missing)."""
    from . import auth, company, model, project, queue, settings, storage, task, user

    return [
        auth.AuthUser,
        company.Company,
        model.Model,
        project.Project,
        queue.Queue,
        settings.DatabaseVersion,
        settings.Settings,
        storage.StorageSettings,
        task.Task,
        user.User,
    ]
