"""README.md's commands run as written in a booted root with the installed package (the project rule).

``prepare(box, deb)`` readies a root before its boot: the package with its Recommends, sudo and curl
(what a user has), python3-paho-mqtt in apt's cache (the booted root has no network, and the README
installs it), one script per command holding its README lines byte-for-byte with what the user
types on its stdin, and the planted images. It returns the shell text a boot check runs: it sets up
the machine (the synthetic camera as this machine's camera, "camera" naming 127.0.0.1 in
/etc/hosts, the README's dates planted, last night's render done, three
saves from the Settings page, the aim reference the alerts process makes), runs each command in order with bash from a working
directory, as root, and puts the shipped configuration back. ``results(box)`` reads what each did.
"""

import glob
import shutil
import sys
from collections import namedtuple
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
import readme_commands  # noqa: E402  (tests/, beside this directory)

HERE = "/root/readme"
Ran = namedtuple("Ran", "command expect rc output")

# Three saves from the Settings page, through the web API as a phone sends them (XSRF cookie and header).
PHONE = r'''
import base64, http.cookiejar, json, sys, urllib.request
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
auth = {"Authorization": "Basic " + base64.b64encode(("me:" + sys.argv[1]).encode()).decode()}
xsrf = json.load(web.open(urllib.request.Request("http://camera:8080/api/settings", headers=auth)))["xsrf"]
for interval in ("30s", "45s", "60"):
    body = json.dumps({"capture.interval": interval}).encode()
    web.open(urllib.request.Request("http://camera:8080/api/settings", body, dict(auth, **{"X-XSRFToken": xsrf})))
'''

PLANT = r'''
"""The README's dates as a camera would have left them: JPEGs with EXIF, in the archive's layout."""
import datetime
import io
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, "/root/readme")
from night_sky import plant_night
from timelapse import archive
from timelapse.exif import with_exif

ROOT = "/var/lib/timelapse"


def day_frame(when, level):
    rows = np.linspace(level + 40, level - 40, 360, dtype=np.float32)[:, None, None]
    pixels = np.broadcast_to(np.clip(rows, 0, 255), (360, 640, 3)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=85)
    path = archive.image_path(ROOT, when)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(with_exif(out.getvalue(), when.astimezone(), 1000, 1.0))


def day(date, first, last, minutes):
    when = datetime.datetime.combine(date, first)
    while when.time() <= last:
        day_frame(when, 100 + when.hour * 4)
        when += datetime.timedelta(minutes=minutes)


plant_night(ROOT, datetime.date(2026, 11, 21), step_minutes=15)  # 17:00 on the 21st to 07:00 on the 22nd
day(datetime.date(2026, 11, 21), datetime.time(6), datetime.time(16, 45), 15)
for number in range(1, 31, 3):  # November, for the month and its 12:00 frames
    day(datetime.date(2026, 11, number), datetime.time(11, 50), datetime.time(12, 10), 10)
day(datetime.date(2026, 11, 30), datetime.time(11, 50), datetime.time(12, 10), 10)
today = datetime.date.today()
for back in (1, 2, 3):  # yesterday and the days before: `timelapse render`, `--period week`
    day(today - datetime.timedelta(days=back), datetime.time(10), datetime.time(14), 30)
'''

SETUP = r"""
# ---- README.md's commands, as written (tests/package/readme_run.py) ----
CFG=/etc/timelapse/timelapse.yml
cp $CFG {here}/shipped.yml
grep -q ' camera$' /etc/hosts || echo '127.0.0.1 camera' >> /etc/hosts
grep -q " $(hostname)$" /etc/hosts || echo "127.0.1.1 $(hostname)" >> /etc/hosts  # as Debian's installer writes it
sed -i 's/^  source: auto/  source: synthetic/; s/^  warmup: 2/  warmup: 0/; s/^  clock_sync_timeout: 120/  clock_sync_timeout: 0/; s/^  resolution: \[1920, 1080\]/  resolution: [640, 360]/' $CFG
python3 {here}/plant.py > {here}/plant.log 2>&1
chown -R timelapse:timelapse /var/lib/timelapse
systemctl start timelapse-render.service  # last night's run: yesterday's video
systemctl reset-failed timelapse  # the restart loop checked before is not the user's
systemctl restart timelapse timelapse-web timelapse-alerts
n=0; while [ $n -lt 200 ] && ! timelapse status > /dev/null 2>&1; do sleep 0.1; n=$((n+1)); done
n=0; while [ $n -lt 200 ] && ! curl -s -o /dev/null http://camera:8080/; do sleep 0.1; n=$((n+1)); done
echo '{password}' | timelapse web-password --stdin > /dev/null
python3 {here}/phone.py '{password}' > {here}/phone.log 2>&1
# The alerts process makes the first daylight image the aim reference (SPEC §20): wait for it.
n=0; while [ $n -lt 300 ] && [ ! -e /var/lib/timelapse/.aim/reference.jpg ]; do sleep 0.1; n=$((n+1)); done
mkdir -p {here}/home && cd {here}/home
export HOME=/root USER=root LOGNAME=root
readme_started=$(date +%s)
"""

# The README's YAML under a heading, merged into the configuration file as the user edits it there.
MERGE = r'''
import sys, yaml
path = "/etc/timelapse/timelapse.yml"
settings = yaml.safe_load(open(path))
for name in sys.argv[1:]:
    for section, values in yaml.safe_load(open(name)).items():
        settings.setdefault(section, {}).update(values)
with open(path, "w") as out:
    yaml.safe_dump(settings, out)
'''

RUN = "timeout 600 bash {here}/{n:02d}.sh < {here}/{n:02d}.in > {here}/{n:02d}.out 2>&1; echo $? > {here}/{n:02d}.rc\n"

RESTORE = r"""
echo "readme_seconds=$(($(date +%s) - readme_started))"
cp {here}/shipped.yml $CFG
systemctl restart timelapse timelapse-alerts
cd /
"""


def runnable():
    """Return [(Command, Expect)] of the README's commands that run in the booted root, in README order."""
    return [(c, readme_commands.EXPECTED[c.key]) for c in readme_commands.commands()
            if c.key in readme_commands.EXPECTED and readme_commands.EXPECTED[c.key].rc is not None]


def prepare(box, deb):
    """Ready ``box`` (a Chroot, not booted) for the README's commands; return the boot-check shell text."""
    shutil.copy(deb, box.path("/srv/") / deb.name)
    box.run(f"apt-get install -y -q /srv/{deb.name} ffmpeg rclone curl sudo")
    box.run("apt-get install -y -q --download-only python3-paho-mqtt")
    for package in glob.glob(str(box.archives / "python3-paho-mqtt_*.deb")):
        shutil.copy(package, box.path("/var/cache/apt/archives/"))
    here = box.path(HERE)
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    shutil.copy(TESTS / "night_sky.py", here / "night_sky.py")
    (here / "plant.py").write_text(PLANT)
    (here / "phone.py").write_text(PHONE)
    (here / "merge.py").write_text(MERGE)
    script = SETUP.format(here=HERE, password=readme_commands.WEB_PASSWORD)
    for n, (command, expect) in enumerate(runnable()):
        (here / f"{n:02d}.sh").write_text(command.script + "\n")
        (here / f"{n:02d}.in").write_text(expect.stdin)
        if expect.config:
            names = []
            for k, block in enumerate(readme_commands.yaml_blocks(expect.config)):
                (here / f"{n:02d}-{k}.yml").write_text(block)
                names.append(f"{HERE}/{n:02d}-{k}.yml")
            assert names, f"README.md has no ```yaml block under {expect.config!r}"
            script += f"python3 {HERE}/merge.py {' '.join(names)} > {HERE}/{n:02d}.merge 2>&1\n"
        script += RUN.format(here=HERE, n=n)
    return script + RESTORE.format(here=HERE)


def results(box):
    """Return [Ran] for each command ``prepare`` set up, after the boot ran them (rc None: not run)."""
    here = box.path(HERE)
    ran = []
    for n, (command, expect) in enumerate(runnable()):
        rc_file, out_file = here / f"{n:02d}.rc", here / f"{n:02d}.out"
        rc = int(rc_file.read_text()) if rc_file.exists() else None
        ran.append(Ran(command, expect, rc, out_file.read_text(errors="replace") if out_file.exists() else ""))
    return ran


def verdict(ran):
    """Return what is wrong with ``ran`` (a Ran) as a sentence, or None if it did what its row says."""
    expect = ran.expect
    if ran.rc is None:
        return "was not run (the boot ended first?)"
    if ran.rc != expect.rc:
        return f"exited {ran.rc}, expected {expect.rc}"
    missing = [s for s in expect.says if s not in ran.output]
    if missing:
        return f"its output lacks {missing}"
    return None
