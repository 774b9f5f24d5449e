"""MQTT (python3-paho-mqtt, 1.6 on Bookworm and 2.x on Trixie) with Home Assistant discovery.

Topics under alerts.mqtt.topic (default timelapse/<hostname>):

  TOPIC/availability  "online", retained; the broker publishes the last will "offline" if we vanish
  TOPIC/state         one retained JSON document: state, last capture, captures today, disk, last copy
  TOPIC/image         the latest image as JPEG bytes, retained, at most once a minute
  TOPIC/event         each alert message as JSON (QoS 1, not retained)
  TOPIC/moved/reference, TOPIC/moved/image   camera_moved's before and after JPEGs, retained (SPEC §20)

With homeassistant: true, retained discovery documents under
homeassistant/<component>/<node_id>/<object_id>/config make Home Assistant show the camera
(an image entity), its state and the other sensors (each a value_template on TOPIC/state)
without any YAML there. Everything retained is published again on every (re)connection:
a broker restarted without persistence gets it all back.
"""

import json
import logging
import re
import ssl
import threading
import time

from timelapse import __version__
from timelapse.alerts.channels.base import Channel, ChannelError
from timelapse.alerts.channels.mqtt_loop import NetworkLoop
from timelapse.alerts.messages import iso, public

log = logging.getLogger(__name__)

PUBLISH_EVERY = 60  # seconds: state and image at most this often
KEEPALIVE = 60  # seconds: the broker hears from us at least this often (a ping), or publishes the last will
ACK_TIMEOUT = 10
INSTALL = "sudo apt install python3-paho-mqtt"


def load_paho():
    """Return paho.mqtt.client; raise ChannelError naming the package if it is missing."""
    try:
        import paho.mqtt.client as client
    except ImportError:
        raise ChannelError(f"alerts.mqtt needs python3-paho-mqtt: {INSTALL}") from None
    return client


def make_client(paho, client_id):
    """Return a paho Client with the callback API of version 1.x (paho 2.x: VERSION2 explicitly)."""
    if hasattr(paho, "CallbackAPIVersion"):  # paho-mqtt 2.x
        return paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id)
    return paho.Client(client_id=client_id)


def _code(reason):
    """Return the int of a paho 1.x rc or a 2.x ReasonCode."""
    return int(getattr(reason, "value", reason) or 0)


CONNACK_WORDS = {1: "the broker refused the protocol version", 2: "the broker refused the client id",
                 3: "the broker is unavailable", 4: "wrong user or password", 5: "not authorised (wrong user or "
                 "password, or the broker's ACL)", 134: "wrong user or password", 135: "not authorised"}


def node_id(camera):
    """Return the camera's name as an MQTT/Home Assistant node id: [a-zA-Z0-9_-]."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", camera) or "timelapse"


def discovery(topic, camera):
    """Return [(discovery topic, config document)] for Home Assistant."""
    node = node_id(camera)
    device = {"identifiers": [f"timelapse_{node}"], "name": camera, "manufacturer": "timelapse",
              "model": "timelapse camera", "sw_version": __version__}
    common = {"availability_topic": f"{topic}/availability", "device": device}
    state = f"{topic}/state"
    entities = [
        ("image", "latest_image", {"name": "Latest image", "image_topic": f"{topic}/image",
                                   "content_type": "image/jpeg"}),
        ("sensor", "state", {"name": "State", "state_topic": state, "value_template": "{{ value_json.state }}",
                             "icon": "mdi:camera-timer"}),
        ("sensor", "last_capture", {"name": "Last capture", "state_topic": state, "device_class": "timestamp",
                                    "value_template": "{{ value_json.last_capture }}"}),
        ("sensor", "captures_today", {"name": "Captures today", "state_topic": state,
                                      "state_class": "total_increasing", "icon": "mdi:image-multiple",
                                      "value_template": "{{ value_json.captures_today }}"}),
        ("sensor", "disk_usage", {"name": "Disk use", "state_topic": state, "unit_of_measurement": "%",
                                  "state_class": "measurement", "icon": "mdi:harddisk",
                                  "value_template": "{{ value_json.disk_usage_percent }}"}),
        ("sensor", "last_offsite_copy", {"name": "Last offsite copy", "state_topic": state,
                                         "device_class": "timestamp",
                                         "value_template": "{{ value_json.last_offsite_copy }}"}),
        ("sensor", "night_sky", {"name": "Night sky", "state_topic": state, "icon": "mdi:weather-night",
                                 "value_template": "{{ value_json.sky }}",
                                 "json_attributes_topic": state,
                                 "json_attributes_template": "{{ {'stars': value_json.stars} | tojson }}"}),
        ("binary_sensor", "problem", {"name": "Problem", "state_topic": state, "device_class": "problem",
                                      "value_template": "{{ 'ON' if value_json.incidents else 'OFF' }}",
                                      "json_attributes_topic": state,
                                      "json_attributes_template": "{{ {'incidents': value_json.incidents} | tojson }}"}),
        ("binary_sensor", "camera_moved", {"name": "Camera moved", "state_topic": state, "device_class": "problem",
                                           "value_template": "{{ 'ON' if 'camera_moved' in value_json.incidents "
                                                             "else 'OFF' }}"}),
    ]
    return [(f"homeassistant/{component}/{node}/{object_id}/config",
             dict(config, unique_id=f"timelapse_{node}_{object_id}", object_id=f"{node}_{object_id}", **common))
            for component, object_id, config in entities]


def state_document(snap, firing):
    """Return the retained TOPIC/state document of a Snapshot."""
    status, disk = snap.status, snap.disk
    return {"state": (status.get("state") or "unknown") if snap.running else "not_running",
            "running": snap.running, "last_capture": status.get("last_capture"),
            "last_image": snap.last_image, "captures_today": status.get("captures_today", 0),
            "skipped_today": status.get("skipped_today", 0),
            "disk_usage_percent": round(disk.percent, 1) if disk else status.get("disk_usage_percent"),
            "disk_free_bytes": disk.free_bytes if disk else status.get("disk_free_bytes"),
            "clock_synced": status.get("clock_synced"),
            "last_offsite_copy": snap.sync.get("last_success") if snap.sync else None,
            "incidents": sorted(firing), **_night_sky(snap)}


def _night_sky(snap):
    """Return {"stars", "sky"} of the newest image (SPEC §19: the clear-sky figure)."""
    from timelapse.night.sky_now import sky_in_child  # Pillow stays out of this process

    return sky_in_child(snap.settings.storage.output_dir, snap.last_image, (snap.status or {}).get("exposure"))


class Mqtt(Channel):
    name = "mqtt"

    def __init__(self, settings, store, camera, password=None, **kwargs):
        super().__init__(settings, store, **kwargs)
        self.camera, self.password = camera, password
        self.topic = settings["topic"] or f"timelapse/{node_id(camera)}"
        self.paho = load_paho()
        self.client = None
        self.network = None
        self.connected = threading.Event()
        self.connack = None
        self._published = {"state": (None, 0.0), "image": (None, 0.0)}  # what, when (monotonic)
        self._state, self._image_path = None, None
        self._publish_lock = threading.Lock()

    def describe(self):
        return f"{self.settings['host']}:{self.settings['port']}"

    def _client(self):
        client = make_client(self.paho, f"timelapse-{node_id(self.camera)}")
        if self.settings["user"]:
            client.username_pw_set(self.settings["user"], self.password or "")
        if self.settings["tls"]:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(f"{self.topic}/availability", "offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        return client

    def start(self):
        """Connect in the background (our network thread, mqtt_loop, reconnects), then start the worker."""
        self.client = self._client()
        self.client.connect_async(self.settings["host"], self.settings["port"], keepalive=KEEPALIVE)
        self.network = NetworkLoop(self.client, KEEPALIVE)
        self.network.start()
        super().start()

    def stop(self, timeout=5):
        super().stop(timeout)
        if self.client:
            if self.connected.is_set():
                self.client.publish(f"{self.topic}/availability", "offline", qos=1, retain=True).wait_for_publish(2)
            self.client.disconnect()
            self.network.stop(timeout)

    def _on_connect(self, client, userdata, flags, reason, properties=None):
        self.connack = _code(reason)
        if self.connack != 0:
            log.warning("alerts: MQTT broker %s refused the connection: %s", self.describe(),
                        CONNACK_WORDS.get(self.connack, f"code {self.connack}"))
            return
        log.info("alerts: connected to the MQTT broker %s", self.describe())
        self.connected.set()
        self._wake.set()  # the outbox may wait for the broker
        client.publish(f"{self.topic}/availability", "online", qos=1, retain=True)
        if self.settings["homeassistant"]:
            for topic, config in discovery(self.topic, self.camera):
                client.publish(topic, json.dumps(config), qos=1, retain=True)
        with self._publish_lock:  # the broker may have lost everything retained: publish it all again
            if self._state is not None:
                self._publish_state(force=True)
            if self._image_path:
                self._publish_image(force=True)

    def _on_disconnect(self, client, userdata, *args):
        if self.connected.is_set():
            log.warning("alerts: lost the MQTT broker %s; reconnecting", self.describe())
        self.connected.clear()

    def deliver(self, message):
        if not self.connected.is_set():
            refused = CONNACK_WORDS.get(self.connack) if self.connack else None
            raise ChannelError(f"{self.describe()}: {refused}" if refused else
                               f"not connected to the MQTT broker {self.describe()} (unreachable or down)")
        info = self.client.publish(f"{self.topic}/event", json.dumps(public(message)), qos=1)
        for name, path in zip(("reference", "image"), message.get("images") or ()):  # camera_moved: before, after
            self._publish_file(f"{self.topic}/moved/{name}", path)
        if info.rc == self.paho.MQTT_ERR_NO_CONN:
            return  # the connection dropped just now: paho keeps the QoS 1 message and sends it on reconnect
        # Acknowledged, or in paho's hands: it resends an unacknowledged QoS 1 message itself after a
        # reconnect, so sending it again here would double it.
        info.wait_for_publish(ACK_TIMEOUT)

    def update(self, snap, firing=()):
        """Publish the state document (on change, at most once a minute) and a new image (likewise)."""
        with self._publish_lock:
            self._state = state_document(snap, firing)
            self._image_path = snap.last_image
            if self.connected.is_set():
                self._publish_state()
                self._publish_image()

    def _due(self, key, what, force):
        last, when = self._published[key]
        return force or (what != last and time.monotonic() - when >= PUBLISH_EVERY) or last is None

    def _publish_state(self, force=False):
        document = dict(self._state)
        if self._due("state", document, force):
            self.client.publish(f"{self.topic}/state", json.dumps(dict(document, updated=iso(time.time()))),
                                qos=1, retain=True)
            self._published["state"] = (document, time.monotonic())

    def _publish_image(self, force=False):
        path = self._image_path
        if not path or not self._due("image", path, force):
            return
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError:
            return  # deleted meanwhile (retention): the next image comes
        self.client.publish(f"{self.topic}/image", data, qos=0, retain=True)
        self._published["image"] = (path, time.monotonic())

    def _publish_file(self, topic, path):
        try:
            with open(path, "rb") as stream:
                self.client.publish(topic, stream.read(), qos=1, retain=True)
        except OSError:
            pass  # gone meanwhile: the event still says it

    def test(self, message, timeout=15):
        """Connect, publish ``message`` and wait for the broker's acknowledgement; raise ChannelError if not."""
        client = self._client()
        outcome = {}
        done = threading.Event()

        def connected(client, userdata, flags, reason, properties=None):
            outcome["rc"] = _code(reason)
            done.set()

        client.on_connect = connected
        client.connect(self.settings["host"], self.settings["port"], keepalive=30)
        client.loop_start()
        try:
            if not done.wait(timeout):
                raise ChannelError(f"no answer from the MQTT broker {self.describe()}")
            if outcome["rc"] != 0:
                raise ChannelError(f"{self.describe()}: " + CONNACK_WORDS.get(outcome["rc"], f"code {outcome['rc']}"))
            info = client.publish(f"{self.topic}/event", json.dumps(public(message)), qos=1)
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise ChannelError(f"the MQTT broker {self.describe()} did not acknowledge the message")
        finally:
            client.disconnect()
            client.loop_stop()
