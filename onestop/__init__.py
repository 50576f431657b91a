"""The composition root: the CLI and the process stack that wires core, API, worker and simulators."""
