-- Failed sign-ins are counted in the database only for accounts (issue 17): counts by client
-- address stay in each instance's memory, since a keyed hash of an address falls to brute
-- force by anyone who reads the key from server_keys. The rows kept so far cannot be told
-- apart (each subject is a hash of a username or of an address), so all are deleted: at
-- worst, 15 minutes of failed sign-ins are forgotten once.
DELETE FROM sign_in_failures;
