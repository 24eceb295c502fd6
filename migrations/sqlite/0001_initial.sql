-- Clinician accounts. Account data is about clinicians, never clients.
CREATE TABLE clinicians (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    -- Bumped when the password changes or the account is deactivated: sessions signed in
    -- under an older value end.
    session_epoch INTEGER NOT NULL DEFAULT 0
);

-- One row per screening, de-identified (SPEC §4): the random review code, the coded answers,
-- the computed result, the rules version and the year. No names, dates finer than the year,
-- free text or addresses. `id` is internal (keyset pagination, newest first) and never shown.
CREATE TABLE screenings (
    id INTEGER PRIMARY KEY,
    review_code TEXT NOT NULL UNIQUE CHECK (length(review_code) = 9),
    clinician_id INTEGER NOT NULL REFERENCES clinicians (id),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    rules_version TEXT NOT NULL CHECK (rules_version <> ''),
    q1_concern_expressed TEXT NOT NULL CHECK (q1_concern_expressed IN ('yes', 'no', 'declined')),
    q2_self_concern TEXT NOT NULL CHECK (q2_self_concern IN ('yes', 'no', 'declined')),
    -- Coping codes separated by single spaces (a closed set, checked by the application), or 'declined'.
    q3_escape TEXT NOT NULL CHECK (q3_escape <> '' AND length(q3_escape) <= 400),
    q4_secrets TEXT NOT NULL CHECK (q4_secrets IN ('yes', 'no', 'declined')),
    q5_others_disturbed TEXT NOT NULL CHECK (q5_others_disturbed IN ('yes', 'no', 'declined')),
    q6_shame TEXT NOT NULL CHECK (q6_shame IN ('yes', 'no', 'declined')),
    pattern TEXT CHECK (pattern IN ('none', 'occasional', 'intense_periods', 'compulsive')),
    control TEXT NOT NULL CHECK (control IN ('not_assessed', 'retained', 'lost')),
    escape_use INTEGER NOT NULL CHECK (escape_use IN (0, 1)),
    secrecy INTEGER NOT NULL CHECK (secrecy IN (0, 1)),
    escalation INTEGER NOT NULL CHECK (escalation IN (0, 1)),
    despite_consequences INTEGER NOT NULL CHECK (despite_consequences IN (0, 1)),
    functioning_impaired INTEGER NOT NULL CHECK (functioning_impaired IN (0, 1)),
    minimizes_or_blames INTEGER NOT NULL CHECK (minimizes_or_blames IN (0, 1)),
    band TEXT NOT NULL CHECK (band IN ('casual', 'at_risk', 'addicted')),
    red_flag_count INTEGER NOT NULL CHECK (red_flag_count BETWEEN 0 AND 6),
    further_investigation INTEGER NOT NULL CHECK (further_investigation IN (0, 1)),
    referral INTEGER NOT NULL CHECK (referral IN (0, 1)),
    provisional INTEGER NOT NULL CHECK (provisional IN (0, 1)),
    incomplete INTEGER NOT NULL CHECK (incomplete IN (0, 1))
);

CREATE INDEX screenings_by_owner ON screenings (clinician_id, id);
CREATE INDEX screenings_by_owner_band ON screenings (clinician_id, band, id);

-- Append-only trail of clinician actions (SPEC §4: account events, exports and deletions
-- carry a time; creating or viewing a screening is never recorded here).
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    detail TEXT
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Server-side sessions (tower-sessions' SQLite store schema).
CREATE TABLE tower_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    expiry_date INTEGER NOT NULL -- when the sign-in session expires; never a screening's date
);
