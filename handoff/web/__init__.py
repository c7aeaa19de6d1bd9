"""The gateway's web layer: app assembly, request helpers, error middleware, pages, static files."""
