"""Function Compute: platform events in and out, the callback signature, the handlers' bodies."""
