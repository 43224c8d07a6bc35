"""A real authoritative DNS server for the tests: NSD in its own container, serving zones
the tests write. The image under test is pointed at it (podman run --dns), so rspamd's SPF,
DKIM, DMARC and DNSBL lookups, and Postfix's, are answered from these zones and nothing
else. NSD also serves an empty root zone: any other name does not exist (NXDOMAIN, at
once). A REFUSED answer would not do: rspamd's resolver retries it, a second per lookup."""

import subprocess
import time
import uuid
from pathlib import Path

NSD_CONF = """server:
  ip-address: 0.0.0.0
  port: 53
  username: ""
  zonesdir: "/zones"
  database: ""
  pidfile: ""
  xfrdfile: ""
  zonelistfile: ""
  verbosity: 1
  hide-version: yes
  # No response rate limiting: rspamd asks some 20 names per message (SPF, DMARC, DNSBLs),
  # and NSD's default limit would drop answers under a test's load (a 1 s timeout each).
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
"""


class DnsServer:
    """Zones are declared at start (NSD reads its zone list then); their records can be
    replaced later with serve(), which reloads NSD (SIGHUP)."""

    def __init__(self, engine, image, directory, zones):
        self.engine = engine
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.serial = 1
        zones = {".": [], **zones}
        conf = NSD_CONF + "".join(f"zone:\n  name: {z}\n  zonefile: {self._file(z)}\n"
                                  for z in zones)
        (self.directory / "nsd.conf").write_text(conf)
        for zone, records in zones.items():
            self._write(zone, records)
        self.name = f"mailinit-test-dns-{uuid.uuid4().hex[:8]}"
        engine("run", "-d", "--name", self.name, "-v", f"{self.directory}:/zones:ro", image)
        self.ip = engine("inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                         self.name).stdout.strip()
        self._wait_until_serving(list(zones)[-1])

    @staticmethod
    def _file(zone):
        return "root.zone" if zone == "." else f"{zone}.zone"

    def _write(self, zone, records):
        origin = "." if zone == "." else f"{zone}."
        ns, mbox = ("ns.", "hostmaster.") if zone == "." else (f"ns.{origin}",
                                                              f"hostmaster.{origin}")
        head = (f"$ORIGIN {origin}\n$TTL 5\n"
                f"@ IN SOA {ns} {mbox} {self.serial} 3600 600 86400 5\n@ IN NS {ns}\n")
        (self.directory / self._file(zone)).write_text(head + "\n".join(records) + "\n")

    def serve(self, zone, records):
        """Replace ZONE's records (zone-file lines, relative or absolute names)."""
        self.serial += 1
        self._write(zone, records)
        self.engine("kill", "-s", "HUP", self.name)
        self._wait_until_serving(zone, serial=self.serial)

    def _wait_until_serving(self, zone, serial=None):
        """Until NSD answers ZONE's SOA (with SERIAL, after a reload), asked from the host."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answer = subprocess.run(["dig", "+short", "+time=1", "+tries=1", f"@{self.ip}",
                                     zone, "SOA"], capture_output=True, text=True).stdout
            fields = answer.split()
            if len(fields) >= 3 and (serial is None or fields[2] == str(serial)):
                return
            time.sleep(0.1)
        raise AssertionError(f"NSD never served {zone}:\n"
                             f"{self.engine('logs', self.name, check=False).stderr}")

    def remove(self):
        self.engine("rm", "-f", "-v", "-t", "0", self.name, check=False)
