-- wrk script: durable submissions. POSTs the product contract's example answers with the session cookie and
-- CSRF token that benches/load.sh signed in for (environment: COOKIE, BODY).
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("COOKIE")
