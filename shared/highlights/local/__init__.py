"""Function Compute's stand-in on one machine: `highlights run` and `highlights serve`."""
