-- Schema 2: a session's CSRF token is derived from its token (auth.rs `csrf_token_for`),
-- so the database keeps nothing of it (spec/secrets.md F4). Live sessions keep working.
ALTER TABLE sessions DROP COLUMN csrf_token;
