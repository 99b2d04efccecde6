"""Narrow, workspace-scoped access to Baton's tables, one module per repository; every method takes
`workspace_id` first. Use cases reach them through `storage.uow.UnitOfWork`."""
