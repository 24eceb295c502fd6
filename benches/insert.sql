-- pgbench script for benches/postgres.sh: one durable INSERT of a screening row per
-- transaction, into a copy of the app's table (same columns, CHECKs, unique indexes), as the
-- floor the app's durable submissions are compared with.
\set id random(4294967296, 4611686018427387903)
INSERT INTO bench_rows (id, review_code, clinician_id, year, seq_in_year, rules_version,
    q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame,
    pattern, control, escape_use, secrecy, escalation, despite_consequences,
    functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation,
    referral, provisional, incomplete, administration, client_language, intake_corrected)
VALUES (:id, substr(md5(:id::text), 1, 9), 1, 2026, :id, '2',
    'yes', 'no', 'exercise pornography', 'yes', 'declined', 'no',
    'intense_periods', 'retained', true, true, false, false, false, false,
    'at_risk', 3, true, false, false, false, 'clinician', NULL, false);
