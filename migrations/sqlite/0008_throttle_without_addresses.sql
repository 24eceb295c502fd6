-- Nothing to do on SQLite: failed sign-ins were always counted in memory here. This file
-- keeps the migration numbers of the two engines in step (see the PostgreSQL migration of
-- the same number, which deletes the counts kept by client address).
SELECT 1;
