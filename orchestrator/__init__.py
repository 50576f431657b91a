"""OneStop core: definitions, catalog, settings, stores and worker bootstrap (no HTTP here)."""
