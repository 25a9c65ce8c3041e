"""The category codes opinions, committees, deputies' fields and units' 归口 share, with their labels.

They live here, at the bottom of the domains, because the network file checks a unit's categories
against them; opinions (`bot.opinions.drafts`) take them from here.
"""

from __future__ import annotations

from bot.kit.i18n import N_

__all__ = ["CATEGORIES"]

CATEGORIES: dict[str, str] = {
    "urban_construction": N_("Urban and rural construction"),
    "transport": N_("Transport"),
    "education": N_("Education"),
    "health": N_("Health care"),
    "social_security": N_("Social security"),
    "environment": N_("Environment"),
    "agriculture": N_("Agriculture and rural affairs"),
    "disputes": N_("Disputes"),
    "other": N_("Other"),
}
