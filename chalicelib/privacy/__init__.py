"""One user's personal data: export it and erase it (issue 18 item 7, docs/compliance.md,
"Personal data"). `python -m chalicelib.privacy export|erase USER`. No Chalice; storage in store.py."""
