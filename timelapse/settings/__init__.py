"""The web layer of settings (SPEC §17): what the Settings page changes, kept apart from the user's file.

- `allowed`: the table of keys the web may set, enforced by the loader itself;
- `layer`: read and write the layer file (atomic, never through a symlink) and its version header;
- `merge`: defaults, then the file, then the layer, as one document; a bad layer is ignored whole;
- `history`: the last 10 versions with their time, client address and diff;
- `change`: one validated change (the web's POST, `timelapse settings --rollback/--reset`);
- `origins`: where each effective value comes from (`timelapse settings`, GET /api/settings);
- `watch`: inotify on the layer's directory, so the daemon and alerts apply a save by themselves.
"""
