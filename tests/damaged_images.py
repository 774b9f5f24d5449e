"""Plant the kinds of damaged image a camera's card ends up with, made with real tools from a real JPEG.

Each kind is a name (the HHMMSS of its file) and how it was made:
  empty      a 0-byte file (a power cut on a card without atomic writes)   `truncate -s 0`
  truncated  the first third of a real JPEG                                `head -c`
  noise      random bytes named .jpg                                       `head -c N /dev/urandom`
  bomb       a real JPEG whose header claims 60000 x 60000 pixels          its SOF0 marker patched
  body       a real JPEG with a block of its body overwritten               `dd conv=notrunc`
"""

import subprocess
from pathlib import Path

KINDS = {"empty": "120001", "truncated": "120002", "noise": "120003", "bomb": "120004", "body": "120005"}


def _sof0(data):
    """Return the offset of the SOF0/SOF2 marker's height field in JPEG ``data``."""
    index = 2
    while index < len(data):
        marker, length = data[index + 1], int.from_bytes(data[index + 2:index + 4], "big")
        if marker in (0xC0, 0xC2):
            return index + 5
        index += 2 + length
    raise ValueError("no SOF marker")


def plant(day_dir, good):
    """Write every damaged kind into ``day_dir`` from the real JPEG ``good``; return {kind: path}."""
    day_dir = Path(day_dir)
    day_dir.mkdir(parents=True, exist_ok=True)
    data = Path(good).read_bytes()
    paths = {kind: day_dir / f"{name}.jpg" for kind, name in KINDS.items()}
    paths["empty"].write_bytes(data)
    subprocess.run(["truncate", "-s", "0", paths["empty"]], check=True)
    with open(paths["truncated"], "wb") as out:
        subprocess.run(["head", "-c", str(len(data) // 3), good], stdout=out, check=True)
    with open(paths["noise"], "wb") as out:
        subprocess.run(["head", "-c", "50000", "/dev/urandom"], stdout=out, check=True)
    bomb = bytearray(data)
    at = _sof0(bomb)
    bomb[at:at + 4] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
    paths["bomb"].write_bytes(bytes(bomb))
    paths["body"].write_bytes(data)
    # Overwrite a block in the middle of the entropy-coded body with repeated start-of-image markers:
    # a decoder meets a marker that cannot occur there ("two SOI markers"), every time, whatever
    # the picture (random bytes are sometimes decoded as a plausible picture, and then nothing is wrong).
    pattern = day_dir / ".pattern"
    pattern.write_bytes(b"\xff\xd8" * 2048)
    start = _sof0(data) + 600
    subprocess.run(["dd", f"if={pattern}", f"of={paths['body']}", "bs=1", f"seek={start}",
                    f"count={min(4096, len(data) - start - 600)}", "conv=notrunc", "status=none"], check=True)
    pattern.unlink()
    return paths
