-- One row per screening, de-identified (SPEC §4): the random review code, the coded answers,
-- the computed result, the rules version and the year. No names, dates finer than the year,
-- free text or addresses. `id` is internal (keyset pagination, newest first) and never shown.
CREATE TABLE screenings (
    id INTEGER PRIMARY KEY,
    review_code TEXT NOT NULL UNIQUE CHECK (length(review_code) = 9),
    year INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    rules_version TEXT NOT NULL CHECK (rules_version IN ('1')),
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

CREATE INDEX screenings_by_band ON screenings (band, id);
