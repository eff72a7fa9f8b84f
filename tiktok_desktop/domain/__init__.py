"""Post rules: what TikTok's post form requires, what a post may do in each state, and
whether a post still fits its creator's settings (pure functions, no I/O)."""
