"""Performance points (履职积分): a yearly rule table, lines computed from recorded work, staff adjustments."""
