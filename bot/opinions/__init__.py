"""The opinion loop: a constituent's draft, filing and routing, the holder's task, the sender's
verdict, the clocks, and the staff's supervision.

Rules (no Telegram types): `lifecycle` (the declared state machine), `routing`, `sla`, `service`,
`candidates` (one ranking for transfer, /queue, /overdue and the console), `submission`, `sender`,
`supervision`, `drafts`, `similar`, `follow_up`, `digest`. Presentation, where telegram's keyboards are
allowed: `views`, `draft_views`, `sender_views`, `supervision_views`, `refusal_views` and the button
kinds (`buttons`, `card_buttons`, `supervision_buttons`). Records: `entities`.
"""
