-- Two-factor sign-in (issue 19). A clinician's TOTP secret, sealed with ChaCha20-Poly1305
-- under a server key (never in clear), and the last time step a code was accepted for, so
-- that each code works once (checked and set by one UPDATE, so two instances cannot both
-- accept a code). Recovery codes are kept only as SHA-256 hashes, deleted as used.
CREATE TABLE two_factor (
    clinician_id BIGINT PRIMARY KEY REFERENCES clinicians (id) ON DELETE CASCADE,
    totp_sealed BYTEA NOT NULL CHECK (length(totp_sealed) > 28),
    last_step BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    clinician_id BIGINT NOT NULL REFERENCES two_factor (clinician_id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL CHECK (length(code_hash) = 32),
    PRIMARY KEY (clinician_id, code_hash)
);
