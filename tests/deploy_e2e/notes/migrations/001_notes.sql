CREATE TABLE sessions (token text PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE notes (id bigserial PRIMARY KEY, author text NOT NULL, text text NOT NULL);
