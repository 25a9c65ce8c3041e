"""The suggestion loop's domain core: deputies' formal suggestions (代表建议) to the handling units and back
(提出—交办—办理—监督).

Pure rules, no storage and no Telegram types: `lifecycle` (the declared state machine: who may, what
each tells, the guards), `numbering` (`S-YYYY-NNNN` per session or recess year), `deadlines` (the
three-to-six-month term, colours, the reminder ladder, quiet hours), `results` (A/B/C, ratings, the
A-share, the 回头看 date). It sits above `bot.opinions` (whose clock ideas it reuses) in the layers.
"""
