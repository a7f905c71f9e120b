"""A user's call features, kept the way FreePBX keeps them: do not disturb, call forwarding
(all calls, when busy, on no answer or unavailable), call waiting and follow-me.

One home for the feature, in small modules named for what they hold:

- `fields.py`: what the fields may hold (numbers, the follow-me list, the ring strategies) and
  their FreePBX defaults; the fields themselves are on `users.models.PbxUser`.
- `services.py`: every rule (no forward to oneself, the follow-me list's form) and the
  operations a phone's feature codes run (`dnd_set`, `forward_set`, `followme_toggle`, …).
- `astdb.py`: the AstDB keys FreePBX's modules read (`DND/<ext>`, `CF/<ext>`, `CFB/<ext>`,
  `CFU/<ext>`, `AMPUSER/<ext>/followme/…`) and the custom device states that follow them.
- `dialplan.py`: the static dialplan (feature codes, BLF hints, forwarding and follow-me).
- `agi.py`: the feature codes' FastAGI routes (`manage.py fastagi`).
- `forms.py`, `columns.py`: the "Call features" section of the pages, the CSV columns.

Two writers, one truth: a feature code dialled on a phone goes to the FastAGI service, which
calls the same services as the pages and the API. The database is changed first (the audit
log names the phone's device), then the sync writes AstDB like any other change, so a sync
never undoes what a phone set. See docs/call-features.md for the FreePBX facts relied on.
"""
