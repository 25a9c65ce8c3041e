"""What the console's pages read, one module per page family; each class reads inside the caller's
unit of work, through the repositories (`storage.repos.console` for the console's own queries).

- `base`: bounds on untrusted input (`parse_id`, `clean_query`, `page_number`), `Page`, and `Reads`.
- `dashboard`: the dashboard's figures and the statistics page's report.
- `opinions`: the filtered opinion list, the filter's choices, one opinion with its timeline.
- `suggestions`: the filtered suggestion list with counts per state, one suggestion with its ledger,
  三见面, co-unit opinions and answers, the 交办会's batch (`storage.repos.console_suggestions`).
- `network`: stations, deputies and contact links.
- `stations`: the station list with its counts, one station's page with its three ledgers.
- `broadcasts`: notices with their live counts, and who one did not reach.
- `audit`: the audit log, anonymous senders masked.
"""
