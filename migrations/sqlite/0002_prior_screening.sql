-- Re-screening: a screening may follow an earlier one of the same clinician's. Deleting the
-- earlier one unlinks it.
ALTER TABLE screenings ADD COLUMN prior_id INTEGER REFERENCES screenings (id) ON DELETE SET NULL;

CREATE INDEX screenings_by_prior ON screenings (prior_id);
