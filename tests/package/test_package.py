"""The real .deb: lintian, metadata, install, a systemd boot, upgrade and purge in a chroot.

These run as root in `make check` (CI); tests run in file order on one chroot.
"""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import readme_run
from conftest import footprint

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "/etc/timelapse/timelapse.yml"
# Where systemd 252 (bookworm) and 257 (trixie) both read units and both lintians accept them.
UNIT_DIR = "/usr/lib/systemd/system"
UNITS = ("timelapse.service", "timelapse-web.service", "timelapse-alerts.service", "timelapse-sync.service", "timelapse-sync.timer", "timelapse-render.service",
         "timelapse-render.timer", "timelapse-render-queue.path", "timelapse-render-queue.service")


def deb_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True, check=True).stdout.strip()


def control_file(deb, name):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-e", str(deb), tmp], check=True)
        return (Path(tmp) / name).read_text()


def test_units_are_where_both_suites_find_them(deb):
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    paths = [line.split()[-1].lstrip(".") for line in listing.splitlines()]
    assert sorted(p for p in paths if p.startswith(UNIT_DIR + "/") and not p.endswith("/")) == \
        sorted(f"{UNIT_DIR}/{unit}" for unit in UNITS)
    aliased = [p for p in paths if re.match(r"/(lib|lib64|bin|sbin)(/|$)", p)]
    assert aliased == []  # trixie's lintian: aliased-location


def test_lintian_is_clean(deb):
    result = subprocess.run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit", str(deb)],
                            capture_output=True, text=True)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr


def test_relationships_are_as_the_spec_says(deb):
    depends = [d.strip() for d in deb_field(deb, "Depends").split(",")]
    for package in ("python3", "python3-yaml", "python3-pil", "python3-voluptuous",
                    "python3-picamera2 | python3-opencv", "python3-numpy", "python3-systemd", "python3-astral",
                    "python3-tornado", "python3-prometheus-client", "adduser"):
        assert package in depends
    assert "python3-opencv" not in depends  # only as the alternative: a Pi with picamera2 never pulls it
    assert deb_field(deb, "Recommends") == "ffmpeg, rclone, python3-paho-mqtt"
    assert deb_field(deb, "Suggests") == "python3-opencv"
    assert deb_field(deb, "Architecture") == "all"
    assert deb_field(deb, "Section") == "misc"


def test_maintainer_scripts_carry_the_debhelper_snippets_and_the_conffile(deb):
    postinst = control_file(deb, "postinst")
    assert "deb-systemd-helper" in postinst and "#DEBHELPER#" not in postinst
    assert "deb-systemd-helper purge" in control_file(deb, "postrm")
    assert control_file(deb, "conffiles").split() == [CONFIG]


def test_install_resolves_dependencies_and_sets_up_the_service_user(chroot, deb):
    shutil.copy(deb, chroot.path("/srv/") / deb.name)
    install = chroot.run(f"apt-get install -y -q --no-install-recommends /srv/{deb.name}")
    packages, megabytes = footprint(install.stdout)
    print(f"footprint on plain Debian (minbase, no Recommends): {packages} packages, {megabytes:.0f} MB")
    assert chroot.run("dpkg-query -W -f '${Status}' python3-opencv").stdout == "install ok installed"
    assert chroot.run("id -nG timelapse").stdout.split() == ["timelapse", "video"]
    assert chroot.run("id -nG timelapse-web").stdout.split() == ["timelapse-web", "timelapse"]
    assert "sudo timelapse web-password" in install.stderr + install.stdout
    assert chroot.run("getent passwd timelapse").stdout.strip().split(":")[5:] == ["/var/lib/timelapse",
                                                                                  "/usr/sbin/nologin"]
    assert chroot.run("stat -c %U:%G:%a /var/lib/timelapse").stdout.strip() == "timelapse:timelapse:755"
    assert chroot.run("timelapse --version").stdout.strip() == f"timelapse {deb_field(deb, 'Version')}"
    assert chroot.run(f"timelapse check-config {CONFIG}").stdout.startswith("OK")
    chroot.path("/srv/sun.yml").write_text("capture:\n  active_hours: {from: dusk, until: dawn}\n"
                                          "  location: {latitude: 69.65, longitude: 18.96}\n")
    sun = chroot.run("timelapse --config /srv/sun.yml schedule --from 2026-12-15 --days 1 --json").stdout
    assert '"note": "polar night"' in sun  # python3-astral came with the package


def test_the_autopkgtest_smoke_test_passes_on_the_installed_package(chroot):
    shutil.copy(ROOT / "debian/tests/smoke", chroot.path("/srv/smoke"))
    result = chroot.run("mkdir -p /srv/autopkgtest-tmp && AUTOPKGTEST_TMP=/srv/autopkgtest-tmp sh /srv/smoke 2>&1")
    assert "OK: /etc/timelapse/timelapse.yml" in result.stdout and "snap.jpg" in result.stdout


def test_manuals_render(chroot):
    for page, title in (("timelapse", "TIMELAPSE(1)"), ("timelapse.yml", "TIMELAPSE.YML(5)")):
        assert title in chroot.run(f"MANWIDTH=80 man {page}").stdout
        assert chroot.run(f"MANWIDTH=80 man --warnings {page} 2>&1 >/dev/null").stdout == ""  # groff is silent


def test_units_verify_cleanly_and_services_are_hardened(chroot):
    paths = " ".join(f"{UNIT_DIR}/{unit}" for unit in UNITS)
    verify = chroot.run(f"systemd-analyze verify {paths} 2>&1", check=False)
    assert verify.stdout.strip() == "" and verify.returncode == 0, verify.stdout
    for unit in (u for u in UNITS if u.endswith(".service")):
        security = chroot.run(f"systemd-analyze security --offline=yes {UNIT_DIR}/{unit} 2>&1", check=False)
        rating = float(re.search(rf"Overall exposure level for {unit}: ([\d.]+)", security.stdout).group(1))
        print(f"systemd-analyze security rating of {unit}: {rating}")
        assert rating <= 2.5, security.stdout


def test_reinstall_and_reconfigure_are_idempotent_and_warn_on_a_bad_config(chroot, deb):
    uid = chroot.run("id -u timelapse").stdout
    chroot.run(f"apt-get install -y -q --reinstall /srv/{deb.name}")
    chroot.run(f"cp {CONFIG} /root/timelapse.yml.good && sed -i 's/^  interval: 60/  interval: -5/' {CONFIG}")
    result = chroot.run("dpkg-reconfigure timelapse 2>&1")
    assert "timelapse: warning:" in result.stdout and "capture.interval" in result.stdout
    chroot.run(f"sed -i 's|^  output_dir: /var/lib/timelapse|  output_dir: /srv/timelapse-images|; "
               f"s/^  interval: -5/  interval: 60/' {CONFIG} && dpkg-reconfigure timelapse")
    assert chroot.run("stat -c %U /srv/timelapse-images").stdout.strip() == "timelapse"
    assert "ReadWritePaths=/srv/timelapse-images" in chroot.run("dpkg-reconfigure timelapse 2>&1").stdout
    chroot.run(f"cp /root/timelapse.yml.good {CONFIG}")
    assert chroot.run("id -u timelapse").stdout == uid


BOOT_CHECK = r"""
set -u
wait_for() { n=0; while [ $n -lt $(($1 * 10)) ]; do shift_ok=1; if sh -c "$2"; then return 0; fi; sleep 0.1; n=$((n+1)); done; return 1; }
state() { python3 -c 'import json; print(json.load(open("/run/timelapse/status.json"))["state"])' 2>/dev/null; }
images() { find /var/lib/timelapse -name '*.jpg' | wc -l; }
reload() { systemctl reload timelapse; echo "reload_rc_$1=$?"; sleep 1; }
CFG=/etc/timelapse/timelapse.yml
cp $CFG /root/shipped.yml

echo "enabled=$(systemctl is-enabled timelapse)"
wait_for 30 '[ "$(systemctl is-active timelapse)" = active ]'
echo "active_at_boot=$(systemctl is-active timelapse)"
echo "user=$(stat -c %U /proc/$(systemctl show -p MainPID --value timelapse))"
sleep 10
echo "active_after_10s=$(systemctl is-active timelapse)"
echo "state_default=$(state)"

sed -i 's/^  clock_sync_timeout: 120/  clock_sync_timeout: 0/' $CFG
reload clock
wait_for 10 '[ "$(python3 -c "import json; print(json.load(open(\"/run/timelapse/status.json\"))[\"state\"])")" = waiting_for_camera ]'
echo "state_no_camera=$(state)"
echo "status_no_camera=$(timelapse status | head -1)"

sed -i 's/^  source: auto/  source: synthetic/; s/^  interval: 60/  interval: 2/; s/^  warmup: 2/  warmup: 0/; s/^  resolution: \[1920, 1080\]/  resolution: [640, 360]/' $CFG
reload synthetic
wait_for 15 '[ $(find /var/lib/timelapse -name "*.jpg" | wc -l) -ge 2 ]'
echo "images_after_reload=$(images)"
echo "image_path=$(find /var/lib/timelapse -name '*.jpg' | head -1)"
echo "image_owner=$(find /var/lib/timelapse -name '*.jpg' | head -1 | xargs stat -c %U)"
echo "state_synthetic=$(state)"

# The web interface, as its own user: first only the set-a-password page, then 401, then 200.
wait_for 20 '[ "$(systemctl is-active timelapse-web)" = active ]'
echo "web_active=$(systemctl is-active timelapse-web) $(stat -c %U /proc/$(systemctl show -p MainPID --value timelapse-web))"
wait_for 20 'curl -s -o /dev/null http://127.0.0.1:8080/'
echo "web_setup=$(curl -s http://127.0.0.1:8080/ | grep -c 'sudo timelapse web-password') $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/api/status)"
echo 'a long enough password' | timelapse web-password --stdin
echo "web_password=$(stat -c %U:%G:%a /etc/timelapse/web-password)"
echo "web_401=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/api/status)"
echo "web_200=$(curl -s -o /dev/null -w '%{http_code}' -u 'me:a long enough password' http://127.0.0.1:8080/api/status)"
echo "web_running=$(curl -s -u 'me:a long enough password' http://127.0.0.1:8080/api/status | python3 -c 'import json, sys; print(json.load(sys.stdin)["running"])')"
echo "web_live=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' -u 'me:a long enough password' http://127.0.0.1:8080/live.jpg)"
echo "web_image=$(curl -s -o /dev/null -w '%{http_code}' -u 'me:a long enough password' http://127.0.0.1:8080/images/$(find /var/lib/timelapse -name '*.jpg' | head -1 | cut -d/ -f5-))"

sed -i 's/^  interval: 2/  interval: -5/' $CFG
echo "reload_broken_output=$(systemctl reload timelapse 2>&1 | tr '\n' ' ')"
systemctl reload timelapse >/dev/null 2>&1; echo "reload_broken_rc=$?"
echo "reload_broken_journal=$(journalctl -b -u timelapse --no-pager -o cat | grep -m1 'timelapse: error:.*capture.interval')"
# A file broken after the check (or a plain SIGHUP): the daemon rejects it itself.
systemctl kill -s HUP --kill-whom=main timelapse
sleep 1
before=$(images)
sleep 5
echo "active_after_bad_reload=$(systemctl is-active timelapse)"
echo "images_grew_after_bad_reload=$([ $(images) -gt $before ] && echo yes || echo no)"
echo "journal_rejected=$(journalctl -b -u timelapse --no-pager | grep -c 'reload rejected')"
echo "journal_error_line=$(journalctl -b -u timelapse --no-pager | grep -m1 'capture.interval')"
echo "status_running=$(timelapse status | head -1)"
echo "status_last=$(timelapse status | grep 'last capture')"

systemctl stop timelapse
echo "after_stop=$(systemctl is-active timelapse)"
echo "stop_result=$(systemctl show -p Result --value timelapse) $(systemctl show -p ExecMainStatus --value timelapse)"
echo "status_stopped=$(timelapse status | head -1)"

systemctl start timelapse
sleep 8
echo "bad_start=$(systemctl is-active timelapse) $(systemctl show -p ExecMainStatus --value timelapse) $(systemctl show -p NRestarts --value timelapse)"
echo "adjtimex_denied=$(journalctl -b -u timelapse --no-pager | grep -c 'adjtimex denied')"
cp /root/shipped.yml $CFG

# The offsite copy: a no-op without a remote, then a real copy to an SFTP server on loopback.
echo "sync_timer=$(systemctl is-enabled timelapse-sync.timer) $(systemctl is-active timelapse-sync.timer)"
systemctl start timelapse-sync.service
echo "sync_off=$(systemctl show -p Result --value timelapse-sync.service) $(journalctl -b -u timelapse-sync --no-pager -o cat | grep -c 'sync.remote is not set')"
mkdir -p /srv/nas
rclone serve sftp /srv/nas --addr 127.0.0.1:2222 --user cam --pass secret --config /dev/null >/dev/null 2>&1 &
wait_for 15 'python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 2222))" 2>/dev/null'
printf '[nas]\ntype = sftp\nhost = 127.0.0.1\nport = 2222\nuser = cam\npass = %s\n' "$(rclone obscure secret)" > /etc/timelapse/rclone.conf
echo "rclone_conf=$(stat -c %U:%G:%a /etc/timelapse/rclone.conf)"
sed -i 's|^  remote: null|  remote: "nas:cam"|' $CFG
systemctl start timelapse-sync.service
echo "sync_on=$(systemctl show -p Result --value timelapse-sync.service)"
echo "sync_journal=$(journalctl -b -u timelapse-sync --no-pager -o cat | grep -m1 'copied ')"
echo "sync_copied=$(find /srv/nas/cam -name '*.jpg' | wc -l) $(find /var/lib/timelapse -name '.*' -prune -o -name '*.jpg' -print | wc -l)"
echo "sync_record=$(stat -c %U /var/lib/timelapse/.sync/last-run.json)"
echo "sync_status=$(timelapse status | grep 'last run')"
cp /root/shipped.yml $CFG

# The nightly render, as its timer would start it, of a planted yesterday.
Y=/var/lib/timelapse/$(date -d yesterday +%Y/%m/%d)
mkdir -p $Y
src=$(find /var/lib/timelapse -path /var/lib/timelapse/videos -prune -o -name '*.jpg' -print | head -1)
for s in 00 10 20 30 40 50; do cp $src $Y/1200$s.jpg; done
chown -R timelapse:timelapse /var/lib/timelapse
echo "render_timer=$(systemctl is-enabled timelapse-render.timer) $(systemctl is-active timelapse-render.timer)"
systemctl start timelapse-render.service
echo "render_result=$(systemctl show -p Result --value timelapse-render.service)"
V=/var/lib/timelapse/videos/$(date -d yesterday +%Y)/$(date -d yesterday +%F).mp4
echo "render_video=$(stat -c %U $V) $(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 $V)"
echo "render_keogram=$(stat -c %U ${V%.mp4}-keogram.jpg)"
echo "render_journal=$(journalctl -b -u timelapse-render --no-pager -o cat | grep -m1 '^wrote .*mp4')"

# A video asked for on the web (SPEC §18): a request renamed into the web's queue starts the queue
# service through its path unit, which renders the range as user timelapse with its progress.
echo "queue_path=$(systemctl is-enabled timelapse-render-queue.path) $(systemctl is-active timelapse-render-queue.path)"
B=/var/lib/timelapse/$(date -d '2 days ago' +%Y/%m/%d)
mkdir -p $B
for s in 00 10 20; do cp $src $B/1200$s.jpg; done
chown -R timelapse:timelapse /var/lib/timelapse
Q=/var/lib/timelapse-web/render-queue
install -d -o timelapse-web -g timelapse-web -m 0755 /var/lib/timelapse-web $Q
printf '{"first": "%s", "last": "%s", "every": 1}' $(date -d '2 days ago' +%F) $(date -d yesterday +%F) > $Q/.asked
chown timelapse-web:timelapse-web $Q/.asked
mv $Q/.asked $Q/20990101T000000-0000abcd.json
P=/var/lib/timelapse/videos/requests/20990101T000000-0000abcd.json
wait_for 90 'grep -qsE "\"state\": \"(done|failed)\"" '$P
echo "queue_status=$(cat $P)"
R=/var/lib/timelapse/videos/$(date -d '2 days ago' +%Y)/$(date -d '2 days ago' +%F)_$(date -d yesterday +%F).mp4
echo "queue_video=$(stat -c %U $R) $(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 $R) $(stat -c %U ${R%.mp4}.json)"
echo "queue_left=$(ls $Q)"
# A drive that goes away (SPEC §6): /srv/drive in /etc/fstab (noauto: mounted by hand), a bind of /srv/usb.
cp /root/shipped.yml /root/drive-restore.yml
mkdir -p /srv/drive /srv/usb/images && chown timelapse:timelapse /srv/usb/images
echo '/srv/usb /srv/drive none bind,noauto,nofail 0 0' >> /etc/fstab
mount /srv/drive
mkdir -p /etc/systemd/system/timelapse.service.d
printf '[Service]\nReadWritePaths=-/srv/drive\n' > /etc/systemd/system/timelapse.service.d/drive.conf
systemctl daemon-reload
sed -i 's/^  source: auto/  source: synthetic/; s/^  interval: 60/  interval: 2/; s/^  warmup: 2/  warmup: 0/; s/^  clock_sync_timeout: 120/  clock_sync_timeout: 0/; s|^  output_dir: /var/lib/timelapse|  output_dir: /srv/drive/images|' $CFG
systemctl restart timelapse
wait_for 20 '[ $(find /srv/usb -name "*.jpg" | wc -l) -ge 1 ]'
echo "drive_images=$(find /srv/usb -name '*.jpg' | wc -l)"
umount /srv/drive
mkdir /srv/drive/images  # a directory left underneath, on the root filesystem
wait_for 20 '[ "$(state)" = storage_missing ]'
echo "drive_away=$(state) $(timelapse status | grep -c 'not mounted at /srv/drive')"
systemctl restart timelapse  # a restart while it is away
sleep 5
echo "drive_restart=$(state) $(find /srv/drive -type f | wc -l)"
rmdir /srv/drive/images
dpkg -i /srv/timelapse_*.deb >/dev/null 2>&1  # an upgrade while it is away
echo "drive_upgrade=$(dpkg-query -W -f '${Status}' timelapse) $([ -e /srv/drive/images ] && echo created || echo absent)"
touch /root/drive-away  # the next boot of this root starts with the drive away (test_boot_alerts...)
"""


def test_boot_runs_the_service_and_reload_stop_behave(chroot):
    chroot.run("apt-get install -y -q rclone ffmpeg curl")  # the Recommends (and curl for the web checks)
    output = chroot.boot(BOOT_CHECK)
    print(output)
    got = dict(line.split("=", 1) for line in output.splitlines() if "=" in line and not line.startswith(" "))
    assert got["enabled"] == "enabled"
    assert got["active_at_boot"] == "active" and got["active_after_10s"] == "active"
    assert got["user"] == "timelapse"
    # The machine's kernel clock is not NTP-synchronized, so the default config waits for it first.
    assert got["state_default"] in ("waiting_for_clock", "waiting_for_camera")
    assert got["state_no_camera"] == "waiting_for_camera"
    assert "state: waiting_for_camera" in got["status_no_camera"]
    assert int(got["images_after_reload"]) >= 2
    assert re.fullmatch(r"/var/lib/timelapse/\d{4}/\d\d/\d\d/\d{6}\.jpg", got["image_path"])
    assert got["image_owner"] == "timelapse"
    assert got["state_synthetic"] == "capturing"
    assert got["web_active"] == "active timelapse-web"
    assert got["web_setup"] == "1 503"  # no default password: only the page saying how to set one
    assert got["web_password"] == "root:timelapse-web:640"
    assert got["web_401"] == "401" and got["web_200"] == "200" and got["web_running"] == "True"
    assert got["web_live"] == "200 image/jpeg"  # through the daemon's socket, as user timelapse-web
    assert got["web_image"] == "200"
    assert got["reload_rc_clock"] == "0" and got["reload_rc_synthetic"] == "0"
    assert got["reload_broken_rc"] != "0"  # `systemctl reload` itself says the file is bad
    assert "Job for timelapse.service failed" in got["reload_broken_output"]
    assert "capture.interval: expected a duration" in got["reload_broken_journal"]
    assert got["active_after_bad_reload"] == "active"
    assert got["images_grew_after_bad_reload"] == "yes"  # the old settings stay in force
    assert int(got["journal_rejected"]) >= 1
    assert "capture.interval: expected a duration" in got["journal_error_line"]
    assert "is running" in got["status_running"] and "state: capturing" in got["status_running"]
    assert got["after_stop"] == "inactive"
    assert got["stop_result"] == "success 0"
    assert "not running" in got["status_stopped"]
    assert got["bad_start"] == "failed 78 0"  # exit 78 and no restart loop
    assert got["adjtimex_denied"] == "0"  # the unit's seccomp filter lets the clock state be read
    assert got["sync_timer"] == "enabled active"
    assert got["sync_off"] == "success 1"  # no remote: says so, exits 0
    assert got["rclone_conf"] == "root:timelapse:640"
    assert got["sync_on"] == "success", output
    copied, present = got["sync_copied"].split()
    assert int(copied) == int(present) >= 2 and "copied " in got["sync_journal"]
    assert got["sync_record"] == "timelapse" and " ok, " in got["sync_status"]
    assert got["render_timer"] == "enabled active"
    assert got["render_result"] == "success", output
    assert got["render_video"] == "timelapse 6" and got["render_keogram"] == "timelapse"
    assert got["render_journal"].startswith("wrote /var/lib/timelapse/videos/")
    assert int(got["drive_images"]) >= 1
    assert got["drive_away"] == "storage_missing 1"
    assert got["drive_restart"] == "storage_missing 0"
    assert got["drive_upgrade"] == "install ok installed absent"
    assert got["queue_path"] == "enabled active"
    assert '"state": "done"' in got["queue_status"], output
    assert got["queue_video"] == "timelapse 9 timelapse"
    assert got["queue_left"] == "20990101T000000-0000abcd.json"  # the renderer writes nothing in the web's queue


ALERTS_BOOT_CHECK = r"""
set -u
wait_for() { n=0; while [ $n -lt $(($1 * 10)) ]; do if sh -c "$2"; then return 0; fi; sleep 0.1; n=$((n+1)); done; return 1; }
state() { python3 -c 'import json; print(json.load(open("/run/timelapse/status.json"))["state"])' 2>/dev/null; }
CFG=/etc/timelapse/timelapse.yml
if [ -e /root/drive-away ]; then  # the first boot left output_dir's drive unmounted: a reboot while away
    wait_for 30 '[ "$(state)" = storage_missing ]'
    echo "drive_reboot=$(state) $(find /srv/drive | wc -l)"
    mount /srv/drive
    wait_for 20 '[ "$(state)" = capturing ]'
    echo "drive_back=$(state) $(find /srv/usb -name '*.jpg' -newer /root/drive-away | wc -l)"
    umount /srv/drive
    rm -r /root/drive-away /etc/systemd/system/timelapse.service.d/drive.conf
    sed -i '/^\/srv\/usb /d' /etc/fstab
    cp /root/drive-restore.yml $CFG
    systemctl daemon-reload
    systemctl restart timelapse
fi
cp $CFG /root/shipped.yml
echo "alerts_enabled=$(systemctl is-enabled timelapse-alerts)"
wait_for 30 '[ "$(systemctl is-active timelapse-alerts)" = active ]'
# Type=simple is "active" from the fork: wait until Python runs (as its user) and has said it is idle.
wait_for 30 'journalctl -b -u timelapse-alerts --no-pager -o cat | grep -q "no channel configured"'
# (-b: the journal is persistent, and an earlier boot of this root logged the same line.)
echo "alerts_active=$(systemctl is-active timelapse-alerts) $(stat -c %U /proc/$(systemctl show -p MainPID --value timelapse-alerts))"
echo "alerts_idle=$(journalctl -b -u timelapse-alerts --no-pager -o cat | grep -c 'no channel configured')"
echo "alerts_dir=$(stat -c %U:%a /var/lib/timelapse/.alerts)"
# A webhook on loopback inside the booted root records what it is sent.
python3 -c '
import http.server
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open("/root/hooks.jsonl", "ab") as out:
            out.write(body + bytes([10]))  # one JSON document a line
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", 8765), Hook).serve_forever()
' >/dev/null 2>&1 &
sed -i 's/^  source: auto/  source: synthetic/; s/^  interval: 60/  interval: 2/; s/^  warmup: 2/  warmup: 0/; s/^  clock_sync_timeout: 120/  clock_sync_timeout: 0/; s|^  webhook: null|  webhook: http://127.0.0.1:8765/hook|; s/^  name: null/  name: boot-cam/' $CFG
systemctl restart timelapse
systemctl restart timelapse-alerts
wait_for 20 '[ $(find /var/lib/timelapse -name "*.jpg" | wc -l) -ge 2 ]'
echo "alerts_test=$(timelapse alerts --test | tr '\n' ' ')"
sleep 20
echo "alerts_quiet=$(cat /root/hooks.jsonl 2>/dev/null | grep -c not_capturing)"
systemctl stop timelapse
wait_for 120 'grep -q "\"not_capturing\", \"state\": \"firing\"" /root/hooks.jsonl 2>/dev/null'
echo "alerts_fired=$(grep '"firing"' /root/hooks.jsonl | head -1)"
systemctl start timelapse
wait_for 90 'grep -q "\"resolved\"" /root/hooks.jsonl 2>/dev/null'
echo "alerts_resolved=$(grep -c '"resolved"' /root/hooks.jsonl) $(grep -c '"firing"' /root/hooks.jsonl)"
echo "alerts_state=$(stat -c %U /var/lib/timelapse/.alerts/incidents.json)"
echo "alerts_status=$(timelapse status | grep 'alerts:')"

# A restart loop: `timelapse status` and the web (each as its own user, the web in its hardened unit)
# take systemd's word first, though the last status names a live process (here the web server's,
# whose command line says timelapse, as a daemon's would between two crashes).
echo 'a long enough password' | timelapse web-password --stdin >/dev/null
mkdir -p /run/systemd/system/timelapse.service.d
printf '[Service]\nExecStart=\nExecStart=/bin/sh -c "sleep 1; exit 1"\nRestartSec=60\n' \
  > /run/systemd/system/timelapse.service.d/loop.conf
systemctl daemon-reload
systemctl restart timelapse
wait_for 30 '[ "$(systemctl show -p SubState --value timelapse)" = auto-restart ]'
python3 -c 'import datetime, json, sys; json.dump({"pid": int(sys.argv[1]), "state": "capturing", "updated": datetime.datetime.now().astimezone().isoformat()}, open("/run/timelapse/status.json", "w"))' \
  "$(systemctl show -p MainPID --value timelapse-web)"
sleep 3  # the web reuses a unit state for 2 s
echo "loop_substate=$(systemctl show -p SubState --value timelapse)"
timelapse status > /root/loop-status.txt; echo "loop_cli_rc=$?"
echo "loop_cli=$(head -1 /root/loop-status.txt)"
echo "loop_cli_systemd=$(grep 'systemd:' /root/loop-status.txt)"
echo "loop_web=$(python3 -c 'import base64, json, urllib.request; r = urllib.request.Request("http://127.0.0.1:8080/api/status", headers={"Authorization": "Basic " + base64.b64encode(b"me:a long enough password").decode()}); print(json.load(urllib.request.urlopen(r))["running"])')"
rm -r /run/systemd/system/timelapse.service.d
systemctl daemon-reload
cp /root/shipped.yml $CFG
systemctl restart timelapse
systemctl restart timelapse-alerts
"""


@pytest.fixture(scope="module")
def alerts_boot(chroot, deb):
    """One boot of each suite for the alerts checks, then the README's commands (a boot costs CI a minute)."""
    return chroot.boot(ALERTS_BOOT_CHECK + readme_run.prepare(chroot, deb), timeout=1500)


def test_boot_alerts_service_reports_a_stopped_daemon_and_its_return(alerts_boot):
    output = alerts_boot
    print(output)
    got = dict(line.split("=", 1) for line in output.splitlines() if "=" in line and not line.startswith(" "))
    if "drive_reboot" in got:  # booted after test_boot_runs_the_service...: its drive left away
        assert got["drive_reboot"] == "storage_missing 1"  # nothing under the mount point but itself
        assert got["drive_back"].startswith("capturing ") and int(got["drive_back"].split()[1]) >= 1
    assert got["alerts_enabled"] == "enabled"
    assert got["alerts_active"] == "active timelapse"
    assert int(got["alerts_idle"]) >= 1  # no channel in the shipped config: idle and silent
    assert got["alerts_dir"] == "timelapse:750"
    assert "webhook: sent (http://127.0.0.1:8765/hook)" in got["alerts_test"]
    assert got["alerts_quiet"] == "0"  # a healthy camera: nothing sent
    fired = json.loads(got["alerts_fired"])
    assert fired["event"] == "not_capturing" and fired["camera"] == "boot-cam"
    assert "timelapse.service inactive" in fired["message"], fired  # read from systemd, as user timelapse
    assert got["alerts_resolved"] == "1 1"
    assert got["alerts_state"] == "timelapse"
    assert "webhook ok" in got["alerts_status"]
    # A restart loop: the CLI and the web agree, from systemd, that the daemon is not running (issue 24).
    assert got["loop_substate"] == "auto-restart"
    assert got["loop_cli_rc"] == "3" and got["loop_cli"].startswith("timelapse is not running"), output
    assert "timelapse.service activating, restarting" in got["loop_cli_systemd"]
    assert got["loop_web"] == "False", output


def test_readme_commands_run_as_written_in_a_booted_system(chroot, alerts_boot):
    missing, stale = readme_run.readme_commands.unclassified()
    assert not missing and not stale, f"README.md commands without a row in tests/readme_commands.py: {missing}; " \
                                      f"rows naming no README command: {stale}"
    ran = readme_run.results(chroot)
    wrong = [(r, readme_run.verdict(r)) for r in ran if readme_run.verdict(r)]
    seconds = re.search(r"^readme_seconds=(\d+)$", alerts_boot, re.M)
    print(f"[{chroot.suite}] README commands: {len(ran) - len(wrong)} of {len(ran)} as their row in "
          f"tests/readme_commands.py says, in {seconds.group(1) if seconds else '?'} s")
    for r in ran:
        print(f"  {'ran ' if r.expect.rc == 0 else 'fail'} rc={r.rc} [{r.command.heading}] {r.command.key}"
              + (f"\n       expected rc {r.expect.rc}: {r.expect.reason}\n       said: "
                 + " | ".join(r.output.strip().splitlines()[-3:]) if r.expect.reason else ""))
    for key, expect in readme_run.readme_commands.EXPECTED.items():
        if expect.rc is None:
            print(f"  elsewhere: {key}\n       {expect.reason}")
    assert not wrong, "README commands that did not do what tests/readme_commands.py says:\n" + "\n".join(
        f"[{r.command.heading}] {r.command.key}: {why}\n{r.output[-1500:]}" for r, why in wrong)
    home = chroot.path(readme_run.HERE) / "home"
    chroot.run(f"ffprobe -v error {readme_run.HERE}/home/day.mp4")
    assert (home / "2026-11-21.zip").read_bytes()[:2] == b"PK"
    conf = chroot.path("/etc/timelapse/rclone.conf").read_text()
    assert "[nas]" in conf and "[s3]" in conf and "the password" not in conf  # stored obscured


def build_upgrade(version):
    """Return a .deb of the source tree as version ``version``, with a changed shipped config."""
    work = Path(tempfile.mkdtemp(prefix="timelapse-upgrade-"))
    source = work / "timelapse"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            target.symlink_to((ROOT / name).readlink())
        else:
            shutil.copy2(ROOT / name, target)
    changelog = source / "debian/changelog"
    changelog.write_text(f"timelapse ({version}) bookworm; urgency=medium\n\n  * packaging: upgrade test build.\n\n"
                         f" -- test <test@example.org>  Sat, 21 Nov 2026 12:00:00 +0000\n\n" + changelog.read_text())
    init = source / "timelapse/__init__.py"
    init.write_text(re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', init.read_text()))
    shipped = source / "etc/timelapse/timelapse.yml"
    shipped.write_text(shipped.read_text() + "# (a newer release's default file)\n")
    subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=source, check=True, capture_output=True,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEB_BUILD_OPTIONS": "nocheck"})
    return work / f"timelapse_{version}_all.deb"


SETTINGS_BOOT_CHECK = r"""
set -u
wait_for() { n=0; while [ $n -lt $(($1 * 10)) ]; do if sh -c "$2"; then return 0; fi; sleep 0.1; n=$((n+1)); done; return 1; }
CFG=/etc/timelapse/timelapse.yml
cp $CFG /root/shipped-settings.yml
sed -i 's/^  source: auto/  source: synthetic/; s/^  interval: 60/  interval: 2/; s/^  warmup: 2/  warmup: 0/; s/^  clock_sync_timeout: 120/  clock_sync_timeout: 0/' $CFG
before=$(sha256sum $CFG)
echo 'settings boot password' | timelapse web-password --stdin >/dev/null
systemctl restart timelapse timelapse-web
wait_for 30 '[ "$(curl -s -o /dev/null -w %{http_code} -u me:settings\ boot\ password http://127.0.0.1:8080/api/settings)" = 200 ]'
echo "state_dir=$(stat -c %U:%G:%a /var/lib/timelapse-web)"
curl -s -c /root/jar -u 'me:settings boot password' http://127.0.0.1:8080/api/settings > /root/settings.json
token=$(python3 -c 'import json; print(json.load(open("/root/settings.json"))["xsrf"])')
post() { curl -s -o /root/post.json -w %{http_code} -b /root/jar -u 'me:settings boot password' -H 'Content-Type: application/json' "$@" http://127.0.0.1:8080/api/settings; }
echo "no_token=$(post -d '{"capture.interval": "3s"}')"
echo "saved=$(post -H "X-XSRFToken: $token" -d '{"capture.interval": "3s"}')"
# The version this save made (the README's run in the same root may have saved, and reset, before).
saved=$(python3 -c 'import json; print(json.load(open("/root/post.json"))["version"])')
echo "saved_version=$saved"
echo "forbidden=$(post -H "X-XSRFToken: $token" -d '{"storage.output_dir": "/tmp"}')"
echo "layer=$(stat -c %U:%G:%a /var/lib/timelapse-web/settings.yml)"
version() { timelapse status --json | python3 -c 'import json,sys; print((json.load(sys.stdin).get("settings") or {}).get("version"))'; }
wait_for 20 '[ "$(timelapse status --json | python3 -c "import json,sys; print((json.load(sys.stdin).get(\"settings\") or {}).get(\"version\"))")" = '$saved' ]'
echo "applied=$(version) $(timelapse status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["interval"])')"
echo "conffile_same=$([ "$(sha256sum $CFG)" = "$before" ] && echo yes || echo no)"
echo "web_writes_etc=$(setpriv --reuid=timelapse-web --regid=timelapse-web --init-groups sh -c 'touch /etc/timelapse/x 2>/dev/null && echo yes || echo no')"
echo "web_writes_code=$(setpriv --reuid=timelapse-web --regid=timelapse-web --init-groups sh -c 'for f in /usr/bin/timelapse /usr/lib/python3/dist-packages/timelapse/cli.py /usr/lib/python3/dist-packages/timelapse; do [ -w $f ] && echo $f; done; true')"
echo "origin=$(timelapse settings | grep '^capture.interval')"
cp /root/shipped-settings.yml $CFG
"""


def test_boot_web_settings_save_apply_and_stay_in_their_place(chroot):
    chroot.run("apt-get install -y -q curl")
    output = chroot.boot(SETTINGS_BOOT_CHECK)
    print(output)
    got = dict(line.split("=", 1) for line in output.splitlines() if "=" in line and not line.startswith(" "))
    assert got["state_dir"] == "timelapse-web:timelapse-web:755"
    assert got["no_token"] == "403" and got["saved"] == "200" and got["forbidden"] == "403"
    assert got["layer"] == "timelapse-web:timelapse-web:644"  # the daemon reads it; it holds no secret
    assert int(got["saved_version"]) >= 1
    # the daemon (user timelapse, ProtectSystem=strict) read and applied the version the save made
    assert got["applied"] == f"{got['saved_version']} 3.0"
    assert got["conffile_same"] == "yes"
    assert got["web_writes_etc"] == "no" and got["web_writes_code"] == ""
    assert "web 20" in got["origin"] and "from 127.0.0.1" in got["origin"]


def test_upgrade_keeps_the_users_edit_and_the_service_user(chroot, deb):
    before = chroot.run("getent passwd timelapse; id -nG timelapse").stdout
    chroot.run(f"sed -i 's/^  interval: 60/  interval: 5m/' {CONFIG}")
    newer = build_upgrade(deb_field(deb, "Version") + "+1")
    shutil.copy(newer, chroot.path("/srv/") / newer.name)
    chroot.run(f"apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "
               f"/srv/{newer.name}")
    shutil.rmtree(newer.parent, ignore_errors=True)
    assert "  interval: 5m" in chroot.path(CONFIG).read_text()
    assert "a newer release's default file" in chroot.path(CONFIG + ".dpkg-dist").read_text()
    assert chroot.run("getent passwd timelapse; id -nG timelapse").stdout == before
    assert chroot.run("timelapse --version").stdout.strip().endswith("+1")
    if chroot.path("/var/lib/timelapse-web/settings.yml").exists():  # the web's settings stay in force
        assert "interval: 3s" in chroot.path("/var/lib/timelapse-web/settings.yml").read_text()


def test_purge_removes_config_and_keeps_images(chroot):
    chroot.run("mkdir -p /var/lib/timelapse/2026/11/21 && echo jpeg > /var/lib/timelapse/2026/11/21/120000.jpg "
               "&& touch /var/lib/timelapse/2026/11/21/.120001.jpg.77.tmp")
    result = chroot.run("apt-get purge -y -q timelapse 2>&1")
    assert "kept /var/lib/timelapse" in result.stdout
    assert not chroot.path("/etc/timelapse").exists()
    assert not chroot.path("/var/lib/timelapse-web").exists()  # the web layer and its history
    assert chroot.path("/var/lib/timelapse/2026/11/21/120000.jpg").exists()
    assert not chroot.path("/var/lib/timelapse/2026/11/21/.120001.jpg.77.tmp").exists()


def test_purge_without_images_removes_the_state_directory(chroot, deb):
    chroot.run("rm -rf /var/lib/timelapse")
    chroot.run(f"apt-get install -y -q /srv/{deb.name}")
    chroot.run("mkdir -p /var/lib/timelapse/2026/01/01")  # an empty day folder is not an image
    chroot.run("apt-get purge -y -q timelapse")
    assert not chroot.path("/var/lib/timelapse").exists()
    assert not chroot.path("/etc/timelapse").exists()
