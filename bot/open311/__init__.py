"""Open311 GeoReport v2, read-only: public opinions and filed suggestions as service requests.

sources (the `RequestSource` protocol a kind of record implements) · opinions (the opinion source) ·
suggestions (the suggestion source) ·
service (query rules, merging and anonymising) · web (the aiohttp sub-application at /open311/v2).
"""
