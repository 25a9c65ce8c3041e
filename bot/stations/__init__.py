"""Station standards and inspection (分片包抓): each station's profile — address, opening hours, map
point, its rules (制度) and the "六有" checklist with evidence — the inspectors staff assign to stations,
their inspections and the rectification list (整改清单) each leaves, tracked to done.

- `standards`: the "六有" items, inspection kinds, weekdays, the standard rules, limits, typed input checks;
- `lifecycle`: a rectification item's declared state machine (report → confirm / reopen; the reminder);
- `records`: what the services hand out (drafts, outcomes, notices, the profile as one reads it);
- `service`: `StationService` — relations, the profile as one reads it, inspections, items through
  `decide`, the daily reminder (all audited); `upkeep`: staff's edits, evidence and inspectors;
- `forms`: the /inspect form as the chat keeps it, and the chat's station dialog states;
- `buttons`, `views`, `form_views`, `notices`: the `stn…` button kinds, the chat's texts, the /inspect
  form's prompts, delivering notices;
- `files`: what a console upload may be and how a kept file is served (only images inline);
- `entities`: the records under the domain's name, for handlers.
"""
