-- Rules version 3 (SPEC §2.3c): a screening may be "not screened", a fourth outcome that is no
-- level of use. SQLite cannot change a CHECK constraint in place, so the table is rebuilt with
-- the same columns, rows, ids and order numbers; only the band's CHECK is wider.

CREATE TABLE screenings_v3 (
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
    -- The article's three levels of use, or (rules version 3) not screened: never counted as casual.
    band TEXT NOT NULL CHECK (band IN ('casual', 'at_risk', 'addicted', 'not_screened')),
    red_flag_count INTEGER NOT NULL CHECK (red_flag_count BETWEEN 0 AND 6),
    further_investigation INTEGER NOT NULL CHECK (further_investigation IN (0, 1)),
    referral INTEGER NOT NULL CHECK (referral IN (0, 1)),
    provisional INTEGER NOT NULL CHECK (provisional IN (0, 1)),
    incomplete INTEGER NOT NULL CHECK (incomplete IN (0, 1)),
    -- Re-screening: the earlier screening this one follows; deleting it unlinks.
    prior_id INTEGER REFERENCES screenings (id) ON DELETE SET NULL,
    -- How the intake answers were given (SPEC §6), coded (migration 0004).
    administration TEXT NOT NULL DEFAULT 'clinician'
        CHECK (administration IN ('clinician', 'client_device', 'client_link')),
    client_language TEXT
        CHECK (client_language IS NULL OR (length(client_language) = 2 AND client_language GLOB '[a-z][a-z]')),
    intake_corrected INTEGER NOT NULL DEFAULT 0 CHECK (intake_corrected IN (0, 1)),
    UNIQUE (clinician_id, year, seq_in_year)
);

-- The new table's prior_id refers to "screenings" by name: it is set once the old table is
-- gone and the new one has its name (dropping the old table would otherwise unlink them).
INSERT INTO screenings_v3 (
    id, review_code, clinician_id, year, seq_in_year, rules_version,
    q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame,
    pattern, control, escape_use, secrecy, escalation, despite_consequences,
    functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation,
    referral, provisional, incomplete, administration, client_language, intake_corrected, prior_id)
SELECT id, review_code, clinician_id, year, seq_in_year, rules_version,
    q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame,
    pattern, control, escape_use, secrecy, escalation, despite_consequences,
    functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation,
    referral, provisional, incomplete, administration, client_language, intake_corrected, NULL
FROM screenings;

CREATE TEMP TABLE screening_priors_v3 AS
SELECT id, prior_id FROM screenings WHERE prior_id IS NOT NULL;

DROP TABLE screenings;
ALTER TABLE screenings_v3 RENAME TO screenings;

UPDATE screenings
SET prior_id = (SELECT prior_id FROM screening_priors_v3 WHERE screening_priors_v3.id = screenings.id)
WHERE id IN (SELECT id FROM screening_priors_v3);

DROP TABLE screening_priors_v3;

CREATE INDEX screenings_by_owner_band ON screenings (clinician_id, band, year, seq_in_year);
CREATE INDEX screenings_by_prior ON screenings (prior_id);
