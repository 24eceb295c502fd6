-- Privacy against whoever can read the database file or a backup (issue 12).

-- Sessions were stored under the very id their cookie carries. From now on only a hash of the
-- id is stored; the sessions stored before end here (everyone signs in again once).
DELETE FROM tower_sessions;

-- Secrets of the server, e.g. the key that signs the tokens of forms shown without a session.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY NOT NULL,
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);

-- Screenings get random row ids, so that the order of the rows in the file no longer tells
-- the order in which screenings were taken (which, joined with anything that carries times,
-- would date them). The clinician's list is ordered by year and by `seq_in_year`, a number
-- counted per clinician and per year — not a sequence across the whole database.
CREATE TABLE screenings_private (
    -- Random, in [2^32, 2^62); internal, never shown.
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 4294967296 AND 4611686018427387903),
    review_code TEXT NOT NULL UNIQUE CHECK (length(review_code) = 9),
    clinician_id INTEGER NOT NULL REFERENCES clinicians (id),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    -- 1, 2, 3… for each clinician and year: orders the clinician's own list, newest first.
    seq_in_year INTEGER NOT NULL CHECK (seq_in_year >= 1),
    rules_version TEXT NOT NULL CHECK (rules_version <> ''),
    q1_concern_expressed TEXT NOT NULL CHECK (q1_concern_expressed IN ('yes', 'no', 'declined')),
    q2_self_concern TEXT NOT NULL CHECK (q2_self_concern IN ('yes', 'no', 'declined')),
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
    incomplete INTEGER NOT NULL CHECK (incomplete IN (0, 1)),
    -- Re-screening: the earlier screening this one follows; deleting it unlinks.
    prior_id INTEGER REFERENCES screenings (id) ON DELETE SET NULL,
    UNIQUE (clinician_id, year, seq_in_year)
);

CREATE TEMP TABLE screening_ids AS
SELECT id AS old_id,
       4294967296 + abs(random() % 4611686014132420608) AS new_id,
       row_number() OVER (PARTITION BY clinician_id, year ORDER BY id) AS seq_in_year
FROM screenings;

INSERT INTO screenings_private (
    id, review_code, clinician_id, year, seq_in_year, rules_version,
    q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame,
    pattern, control, escape_use, secrecy, escalation, despite_consequences,
    functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation,
    referral, provisional, incomplete, prior_id)
SELECT m.new_id, s.review_code, s.clinician_id, s.year, m.seq_in_year, s.rules_version,
    s.q1_concern_expressed, s.q2_self_concern, s.q3_escape, s.q4_secrets, s.q5_others_disturbed,
    s.q6_shame, s.pattern, s.control, s.escape_use, s.secrecy, s.escalation,
    s.despite_consequences, s.functioning_impaired, s.minimizes_or_blames, s.band,
    s.red_flag_count, s.further_investigation, s.referral, s.provisional, s.incomplete, NULL
FROM screenings s JOIN screening_ids m ON m.old_id = s.id;

CREATE TEMP TABLE screening_priors AS
SELECT m.new_id AS id, p.new_id AS prior_id
FROM screenings s
JOIN screening_ids m ON m.old_id = s.id
JOIN screening_ids p ON p.old_id = s.prior_id;

DROP TABLE screenings;
ALTER TABLE screenings_private RENAME TO screenings;

UPDATE screenings
SET prior_id = (SELECT prior_id FROM screening_priors WHERE screening_priors.id = screenings.id)
WHERE id IN (SELECT id FROM screening_priors);

DROP TABLE screening_ids;
DROP TABLE screening_priors;

CREATE INDEX screenings_by_owner_band ON screenings (clinician_id, band, year, seq_in_year);
CREATE INDEX screenings_by_prior ON screenings (prior_id);

-- The audit log keeps no review code of a deleted screening (a code with a time would date
-- it), and no name typed at sign-in that is not an account's (it may be a client's name).
DROP TRIGGER audit_events_no_update;

UPDATE audit_events SET subject = NULL WHERE action = 'screening_deleted';

UPDATE audit_events SET actor = 'unknown username'
WHERE action IN ('sign_in_failed', 'sign_in_throttled')
  AND lower(trim(actor)) NOT IN (SELECT username FROM clinicians);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
