"""Who may do what: users with argon2id password hashes, API and feed tokens stored hashed,
roles. Kept in Redis beside the cases (backed up with them); imports only core."""
