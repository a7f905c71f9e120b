"""A user's call features, kept the way FreePBX keeps them: do not disturb, call forwarding
(all calls, when busy, on no answer or unavailable), call waiting and follow-me.

The feature lives in each layer, in small modules named for what they hold:

- here, in the PBX directory: `fields.py` (what the fields may hold: numbers, the follow-me
  list, the ring strategies, and their FreePBX defaults; the fields themselves are on
  `directory.users.models.PbxUser`), `rules.py` (every rule: no forward to oneself, the
  follow-me list's form; the user services call it) and `services.py` (the operations a
  phone's feature codes run: `dnd_set`, `forward_set`, `followme_toggle`, …);
- in the Asterisk boundary, `asterisk/call_features/`: the AstDB keys and device states, the
  static dialplan, the feature codes' FastAGI routes and the takeover of FreePBX's
  AstDB-only values (`manage.py adopt_call_features`);
- `web/users/call_feature_forms.py`: the "Call features" section of the pages;
- `bulk/call_feature_columns.py`: the CSV columns.

Two writers, one truth: a feature code dialled on a phone goes to the FastAGI service, which
calls the same services as the pages and the API. The database is changed first (the audit
log names the phone's device), then the sync writes AstDB like any other change, so a sync
never undoes what a phone set. See docs/call-features.md for the FreePBX facts relied on.
"""
