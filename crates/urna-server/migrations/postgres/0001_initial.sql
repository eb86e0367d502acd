-- Urna bulletin board, schema 1 (PostgreSQL). Keep in step with migrations/sqlite.
-- No table links a voter's identity (roll) to a credential or a ballot (spec/api.md §3).

CREATE TABLE admins (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    admin_id BIGINT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE elections (
    id TEXT PRIMARY KEY,
    manifest TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    orderer_name TEXT NOT NULL,
    orderer_email TEXT NOT NULL,
    orderer_token_hash BYTEA NOT NULL UNIQUE,
    opens_at BIGINT,
    closes_at BIGINT,
    setup_hash BYTEA,
    fingerprint BYTEA,
    entries BIGINT NOT NULL DEFAULT 0,
    head BYTEA NOT NULL,
    ballots BIGINT NOT NULL DEFAULT 0,
    voters BIGINT NOT NULL DEFAULT 0,
    total_weight BIGINT NOT NULL DEFAULT 0,
    approved_by TEXT,
    error TEXT
);

CREATE TABLE election_admins (
    election_id TEXT NOT NULL REFERENCES elections(id),
    admin_id BIGINT NOT NULL REFERENCES admins(id),
    PRIMARY KEY (election_id, admin_id)
);

CREATE TABLE trustees (
    election_id TEXT NOT NULL REFERENCES elections(id),
    trustee BIGINT NOT NULL,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    PRIMARY KEY (election_id, trustee)
);

CREATE TABLE roll (
    election_id TEXT NOT NULL REFERENCES elections(id),
    line BIGINT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    weight BIGINT NOT NULL,
    invited BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (election_id, line)
);

CREATE TABLE board (
    election_id TEXT NOT NULL REFERENCES elections(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (election_id, seq)
);
CREATE INDEX board_kind ON board (election_id, kind, seq);

CREATE TABLE ballots (
    election_id TEXT NOT NULL REFERENCES elections(id),
    tracking_code TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (election_id, tracking_code)
);

-- The counted ballot of each credential that voted: one row per credential is what makes a
-- second ballot under `final` impossible, whatever the number of server processes.
CREATE TABLE votes (
    election_id TEXT NOT NULL REFERENCES elections(id),
    credential BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    weight BIGINT NOT NULL,
    PRIMARY KEY (election_id, credential)
);

-- The running encrypted tally: per weight class, the sum of the counted ballots'
-- ciphertexts (64 bytes each, contests and selections in manifest order).
CREATE TABLE tally (
    election_id TEXT NOT NULL REFERENCES elections(id),
    weight BIGINT NOT NULL,
    sums BYTEA NOT NULL,
    PRIMARY KEY (election_id, weight)
);

-- Invitations waiting to be sent: the only place a voter's address and credential secret
-- meet; a row is deleted as soon as the SMTP server accepts the mail.
CREATE TABLE mail_queue (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    election_id TEXT NOT NULL REFERENCES elections(id),
    roll_line BIGINT,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX mail_due ON mail_queue (failed, next_attempt_at);
