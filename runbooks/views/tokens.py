"""/account/tokens/: a signed-in user lists, creates and revokes their API tokens."""
