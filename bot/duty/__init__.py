"""Stations at work: duty rosters (进站值班), station heads and liaison officers, swaps and check-ins."""
