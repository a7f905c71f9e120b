"""The call features in Asterisk: what FreePBX's donotdisturb, callforward, callwaiting and
findmefollow modules keep there, written from the directory's users
(`directory/users/call_features/` holds the fields, the rules and the phone's operations).

- `astdb.py`: the AstDB keys FreePBX's modules read (`DND/<ext>`, `CF/<ext>`, `CFB/<ext>`,
  `CFU/<ext>`, `AMPUSER/<ext>/followme/…`) and the custom device states that follow them.
- `dialplan.py`: the static dialplan (feature codes, BLF hints, forwarding and follow-me).
- `agi.py`: the feature codes' FastAGI routes (`manage.py fastagi`).
- `adopt.py`: the values a FreePBX system keeps in AstDB only, taken over before the first
  full sync (`manage.py adopt_call_features`).
"""
