-- The client answers the six intake questions themselves (SPEC §6).

-- How a screening's intake answers were given, coded; the language the client answered in
-- (NULL when the clinician asked); and whether the clinician changed any of the client's
-- answers before saving.
ALTER TABLE screenings ADD COLUMN administration TEXT NOT NULL DEFAULT 'clinician'
    CHECK (administration IN ('clinician', 'client_device', 'client_link'));
ALTER TABLE screenings ADD COLUMN client_language TEXT
    CHECK (client_language IS NULL OR (length(client_language) = 2 AND client_language GLOB '[a-z][a-z]'));
ALTER TABLE screenings ADD COLUMN intake_corrected INTEGER NOT NULL DEFAULT 0
    CHECK (intake_corrected IN (0, 1));

-- An invitation for the client to answer the six questions. It holds no review code (the code
-- is made when the clinician saves) and no time but its expiry (unix seconds), and is deleted
-- when the screening is saved, when it is cancelled, or when it expires. The token in the
-- client's link is never stored: only its SHA-256, in hex. The answers are coded, as in
-- `screenings`, and NULL until the client sends them.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    clinician_id INTEGER NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    administration TEXT NOT NULL CHECK (administration IN ('client_device', 'client_link')),
    match_words TEXT NOT NULL CHECK (length(match_words) BETWEEN 3 AND 40),
    expiry INTEGER NOT NULL,
    client_language TEXT
        CHECK (client_language IS NULL OR (length(client_language) = 2 AND client_language GLOB '[a-z][a-z]')),
    q1_concern_expressed TEXT CHECK (q1_concern_expressed IN ('yes', 'no', 'declined')),
    q2_self_concern TEXT CHECK (q2_self_concern IN ('yes', 'no', 'declined')),
    q3_escape TEXT CHECK (q3_escape <> '' AND length(q3_escape) <= 400),
    q4_secrets TEXT CHECK (q4_secrets IN ('yes', 'no', 'declined')),
    q5_others_disturbed TEXT CHECK (q5_others_disturbed IN ('yes', 'no', 'declined')),
    q6_shame TEXT CHECK (q6_shame IN ('yes', 'no', 'declined'))
);

CREATE INDEX invitations_by_owner ON invitations (clinician_id);
CREATE INDEX invitations_by_expiry ON invitations (expiry);

-- Hashes of tokens that were used, cancelled or expired, so that their links answer
-- 410 Gone rather than 404 for a week. Nothing ties them to an invitation or a screening;
-- `forget_after` is a whole day (unix seconds at midnight UTC).
CREATE TABLE spent_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL CHECK (length(token_hash) = 64),
    forget_after INTEGER NOT NULL
) WITHOUT ROWID;
