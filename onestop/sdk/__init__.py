"""The agency SDK: what an agency imports to implement actions and work its tasks, without OneStop's API, database or catalog."""
