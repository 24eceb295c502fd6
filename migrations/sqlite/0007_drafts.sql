-- Drafts of an interrupted intake (SPEC §6.1, "an intake is interrupted").
--
-- A draft holds what the clinician had recorded when the intake stopped: the coded answers
-- given so far (any of them may be missing), owned by the clinician. It holds no review code
-- (the code is made when the screening is saved) and no time but its expiry (unix seconds, a
-- whole hour), and is deleted when the screening is saved (in the same transaction), when it
-- is discarded, or by the sweep once it expires. A re-screening keeps the earlier screening's
-- internal id (never its code); a form that came from a client's invitation keeps the
-- invitation's id, so that saving still deletes the invitation and records how the intake
-- answers were given. Either reference is cleared when what it names is deleted first.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    clinician_id INTEGER NOT NULL REFERENCES clinicians (id) ON DELETE CASCADE,
    expiry INTEGER NOT NULL CHECK (expiry % 3600 = 0),
    prior_id INTEGER REFERENCES screenings (id) ON DELETE SET NULL,
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
    escape_use INTEGER NOT NULL DEFAULT 0 CHECK (escape_use IN (0, 1)),
    secrecy INTEGER NOT NULL DEFAULT 0 CHECK (secrecy IN (0, 1)),
    escalation INTEGER NOT NULL DEFAULT 0 CHECK (escalation IN (0, 1)),
    despite_consequences INTEGER NOT NULL DEFAULT 0 CHECK (despite_consequences IN (0, 1)),
    functioning_impaired INTEGER NOT NULL DEFAULT 0 CHECK (functioning_impaired IN (0, 1)),
    minimizes_or_blames INTEGER NOT NULL DEFAULT 0 CHECK (minimizes_or_blames IN (0, 1))
);

CREATE INDEX drafts_by_owner ON drafts (clinician_id);
CREATE INDEX drafts_by_expiry ON drafts (expiry);
CREATE INDEX drafts_by_prior ON drafts (prior_id);
CREATE INDEX drafts_by_invitation ON drafts (invitation_id);
