"""Server-rendered web pages: the Jinja2 environment with GOV.UK Frontend's macros, the built
assets, the signed-in session cookie and CSRF tokens, shared by every audience's pages (the
support console now, the citizen portal later)."""
