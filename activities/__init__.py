"""Activities: the only code that touches agencies, MongoDB and the clock."""
