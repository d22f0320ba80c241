"""``gatehouse demo``: a realistic registry on the embedded default, seeded in one step."""
