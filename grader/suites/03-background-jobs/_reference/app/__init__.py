"""Duck Shop background jobs: a durable queue on the database and the workers that drain it."""
