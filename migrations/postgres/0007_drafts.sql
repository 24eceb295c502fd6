-- Drafts of an interrupted intake (SPEC §6.1); see the SQLite migration of the same number.
-- No review code, no time but the expiry (unix seconds, a whole hour); deleted on save (in the
-- same transaction), on discard, or by the sweep once expired.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    clinician_id BIGINT NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    expiry BIGINT NOT NULL CHECK (expiry % 3600 = 0),
    prior_id BIGINT REFERENCES screenings (id) ON DELETE SET NULL,
    invitation_id TEXT REFERENCES invitations (id) ON DELETE SET NULL,
    q1_concern_expressed TEXT CHECK (q1_concern_expressed IN ('yes', 'no', 'declined')),
    q2_self_concern TEXT CHECK (q2_self_concern IN ('yes', 'no', 'declined')),
    q3_escape TEXT CHECK (q3_escape <> '' AND length(q3_escape) <= 400),
    q4_secrets TEXT CHECK (q4_secrets IN ('yes', 'no', 'declined')),
    q5_others_disturbed TEXT CHECK (q5_others_disturbed IN ('yes', 'no', 'declined')),
    q6_shame TEXT CHECK (q6_shame IN ('yes', 'no', 'declined')),
    pattern TEXT CHECK (pattern IN ('none', 'occasional', 'intense_periods', 'compulsive')),
    control TEXT NOT NULL DEFAULT 'not_assessed'
        CHECK (control IN ('not_assessed', 'retained', 'lost')),
    escape_use BOOLEAN NOT NULL DEFAULT false,
    secrecy BOOLEAN NOT NULL DEFAULT false,
    escalation BOOLEAN NOT NULL DEFAULT false,
    despite_consequences BOOLEAN NOT NULL DEFAULT false,
    functioning_impaired BOOLEAN NOT NULL DEFAULT false,
    minimizes_or_blames BOOLEAN NOT NULL DEFAULT false
);

CREATE INDEX drafts_by_owner ON drafts (clinician_id);
CREATE INDEX drafts_by_expiry ON drafts (expiry);
CREATE INDEX drafts_by_prior ON drafts (prior_id);
CREATE INDEX drafts_by_invitation ON drafts (invitation_id);
