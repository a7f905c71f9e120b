"""Trunks and routes written for Asterisk: the trunks' sections in the channel drivers' files
(`trunks.py`) and the routes' dialplan (`routes.py`)."""
