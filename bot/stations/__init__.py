"""Station standards and inspection (分片包抓): each station's profile — address, opening hours, map
point, its rules (制度) and the "六有" checklist with evidence — the inspectors staff assign to stations,
their inspections and the rectification list (整改清单) each leaves, tracked to done.

- `standards`: the "六有" items, inspection kinds, weekdays, the standard rules, limits, typed input checks;
- `lifecycle`: a rectification item's declared state machine (report → confirm / reopen; the reminder);
- `service`: `StationService` — relations, the profile as one reads it, inspections, items through
  `decide`, the daily reminder, staff's edits, evidence and inspectors (all audited);
- `forms`: the /inspect form as the chat keeps it, and the chat's station dialog states;
- `buttons`, `views`, `notices`: the `stn…` button kinds, the chat's texts, delivering notices;
- `files`: what a console upload may be and how a kept file is served (only images inline);
- `entities`: the records under the domain's name, for handlers.
"""
