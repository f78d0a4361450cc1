"""The REST API under /api/v1/ (DESIGN §8): JSON only, bearer tokens or the browser session."""
