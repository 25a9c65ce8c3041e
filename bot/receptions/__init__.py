"""Receptions: a deputy's record of a day at a liaison station (visitors, opinions collected on
paper, problems resolved), the form's steps and its rules."""
