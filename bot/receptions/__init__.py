"""The reception diary (民情日记): a deputy's (or staff's) day at a liaison station or a home visit (走访),
each visitor registered with what they raised — answered on the spot or sent on as an opinion."""
