"""How nothing is lost through an outage: the retry schedule, the Redis transport that outlives a
drop, what the broker still holds, a heartbeat for long work, and the sweeper that ends every
question in an answer or an honest message. Imports `knowledge` and the workers' shared modules."""
