-- predict.lua — wrk script for bench/load.sh: every request is a POST of
-- one XOR input to the model's predict route (the URL given to wrk).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":[[0,1]]}'
