"""Incidents: Prometheus' pending -> firing -> resolved, kept in ``.alerts/incidents.json``.

A rule whose test holds becomes *pending*; once it has held for the rule's ``hold`` seconds
it *fires* (one message); when the test no longer holds it *resolves* (one message) and is
forgotten. The file is written at every change, so a restart of the alerts process (or a
reboot) neither repeats a message already sent nor forgets an incident still open.
"""

import logging
from collections import namedtuple

from timelapse.alerts.rules import RULES

log = logging.getLogger(__name__)

# state: "firing" or "resolved"; since: epoch it began; until: epoch it ended (resolved only).
Transition = namedtuple("Transition", "rule state since until detail")


class Engine:
    """Evaluate ``rules`` on Snapshots; keep the incident state in ``store`` (a store.Store)."""

    def __init__(self, store, rules=RULES):
        self.store, self.rules = store, rules
        self.state = store.read("incidents", {})
        self.state.setdefault("incidents", {})
        self._dirty = False

    @property
    def incidents(self):
        """Return {rule name: {"since", "firing", "detail", ...}} of what is pending or firing."""
        return self.state["incidents"]

    def firing(self):
        """Return the names of the rules firing now."""
        return [name for name, incident in self.incidents.items() if incident.get("firing")]

    def watching_since(self, now):
        """Return when alerts first watched this camera (set to ``now`` the first time)."""
        if "watching_since" not in self.state:
            self.state["watching_since"] = now
            self._dirty = True
        return self.state["watching_since"]

    def evaluate(self, snap):
        """Return the Transitions that ``snap`` causes, and save the state if it changed."""
        transitions = []
        for rule in self.rules:
            try:
                finding = rule.test(snap)
            except Exception:  # a rule's bug must not silence the others
                log.exception("alert rule %s failed", rule.name)
                continue
            transition = self._step(rule, finding, snap)
            if transition:
                transitions.append(transition)
        self.save()
        return transitions

    def _step(self, rule, finding, snap):
        incident = self.incidents.get(rule.name)
        if finding is None:
            return None  # cannot be judged now: keep whatever state it has
        if not finding:
            if incident is None:
                return None
            del self.incidents[rule.name]
            self._dirty = True
            if incident.get("firing"):
                return Transition(rule, "resolved", incident["since"], snap.now, incident.get("detail"))
            return None
        if incident is None:
            incident = self.incidents[rule.name] = {"since": snap.now, "firing": False, "detail": finding}
            self._dirty = True
        if not incident["firing"] and snap.now - incident["since"] >= rule.hold(snap):
            incident.update(firing=True, detail=finding)
            self._dirty = True
            return Transition(rule, "firing", incident["since"], None, finding)
        return None

    def note(self, key, value):
        """Keep ``value`` under ``key`` in the state file (e.g. the last daily report's date)."""
        if self.state.get(key) != value:
            self.state[key] = value
            self._dirty = True

    def save(self):
        if not self._dirty:
            return
        try:
            self.store.write("incidents", self.state)
            self._dirty = False
        except OSError as exc:  # a full disk is itself an incident: keep the state, try again next check
            log.warning("cannot save the alert state in %s: %s", self.store.dir, exc)
