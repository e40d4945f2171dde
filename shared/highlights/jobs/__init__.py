"""Jobs: identity, states, records, the bucket layout, results and the three use cases."""
