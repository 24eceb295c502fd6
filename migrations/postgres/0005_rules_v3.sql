-- Rules version 3 (SPEC §2.3c): a screening may be "not screened", a fourth outcome that is no
-- level of use, never counted as casual.
ALTER TABLE screenings DROP CONSTRAINT screenings_band_check;
ALTER TABLE screenings ADD CONSTRAINT screenings_band_check
    CHECK (band IN ('casual', 'at_risk', 'addicted', 'not_screened'));
