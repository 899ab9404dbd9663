"""The Dash app of the command centre: pages, pure component builders, thin callbacks."""
