-- Client flows that never lose an answer (SPEC §6.1).

-- Why a client's link stopped working, so its page can say so: 'used' (the client answered),
-- 'cancelled' (the clinician cancelled it or made a new link) or 'expired'. Hashes spent
-- before this migration read as 'cancelled': "this link is no longer available" is true of
-- every one of them.
ALTER TABLE spent_tokens ADD COLUMN reason TEXT NOT NULL DEFAULT 'cancelled'
    CHECK (reason IN ('used', 'cancelled', 'expired'));

-- A re-screening sent to the client: the earlier screening it follows (its internal id, never
-- its review code), pre-filled when the clinician completes it. Deleting the earlier
-- screening unlinks it.
ALTER TABLE invitations ADD COLUMN prior_id BIGINT REFERENCES screenings (id) ON DELETE SET NULL;
CREATE INDEX invitations_by_prior ON invitations (prior_id);

-- The client's own answers to the six questions, coded as the recorded ones, kept with a
-- screening whose intake the client answered (administration client_device or client_link),
-- so the result can show what the clinician corrected. NULL when the clinician asked.
ALTER TABLE screenings ADD COLUMN client_q1_concern_expressed TEXT
    CHECK (client_q1_concern_expressed IN ('yes', 'no', 'declined'));
ALTER TABLE screenings ADD COLUMN client_q2_self_concern TEXT
    CHECK (client_q2_self_concern IN ('yes', 'no', 'declined'));
ALTER TABLE screenings ADD COLUMN client_q3_escape TEXT
    CHECK (client_q3_escape <> '' AND length(client_q3_escape) <= 400);
ALTER TABLE screenings ADD COLUMN client_q4_secrets TEXT
    CHECK (client_q4_secrets IN ('yes', 'no', 'declined'));
ALTER TABLE screenings ADD COLUMN client_q5_others_disturbed TEXT
    CHECK (client_q5_others_disturbed IN ('yes', 'no', 'declined'));
ALTER TABLE screenings ADD COLUMN client_q6_shame TEXT
    CHECK (client_q6_shame IN ('yes', 'no', 'declined'));
