"""The HTTP API: citizens, agencies, designers and support staff reach OneStop through it."""
