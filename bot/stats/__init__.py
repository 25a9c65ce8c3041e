"""Statistics: the figures staff report (opinions, answers, ratings, receptions, duty days) over a
period, with their definitions, for /stats, the console and `liaison stats`."""
