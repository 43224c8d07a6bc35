#!/usr/bin/env python3
"""Where a container's CPU goes while a command runs in it.

cpu-by-process.py CONTAINER COMMAND
    Runs COMMAND (sh -c) inside CONTAINER with `podman exec` (ENGINE overrides), then waits
    3 s for what it left queued. Prints the container's whole CPU time (its cgroup) and the
    CPU time of each process name and real uid seen meanwhile (sampled every 0.3 s from
    /proc: a process that lived less than that is missed, so the lines may sum to less).
    Needs root, on the host running the container.

Example (bench/RESULTS.md, "Where a delivery's CPU goes"):
    bench/cpu-by-process.py NAME "smtp-source -s 10 -m 2000 -l 5120 -f a@example.net \\
        -t user@example.test 127.0.0.1:25; sleep 5"
"""

import collections
import os
import subprocess
import sys
import time

ENGINE = os.environ.get("ENGINE", "podman")


def cgroup_dir(pid):
    """The container's cgroup: cgroup v2's unified one, else v1's cpuacct."""
    for line in open(f"/proc/{pid}/cgroup"):
        number, controllers, path = line.rstrip("\n").split(":", 2)
        if number == "0" and os.path.exists(f"/sys/fs/cgroup{path}/cpu.stat"):
            return f"/sys/fs/cgroup{path}", "v2"
        if "cpuacct" in controllers.split(","):
            return f"/sys/fs/cgroup/cpuacct{path}", "v1"
    raise SystemExit(f"no cgroup with CPU accounting for pid {pid}")


def cpu_seconds(cgroup, version):
    if version == "v1":
        return int(open(f"{cgroup}/cpuacct.usage").read()) / 1e9
    for line in open(f"{cgroup}/cpu.stat"):
        if line.startswith("usage_usec"):
            return int(line.split()[1]) / 1e6
    return 0.0


def processes(cgroup):
    """pid -> ("name/uid", CPU ticks) for every process of the cgroup now."""
    seen = {}
    for pid in open(f"{cgroup}/cgroup.procs").read().split():
        try:
            stat = open(f"/proc/{pid}/stat").read()
            uid = next(line.split()[1] for line in open(f"/proc/{pid}/status")
                       if line.startswith("Uid:"))
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seen[int(pid)] = (f"{name}/{uid}", int(fields[11]) + int(fields[12]))
    return seen


def main(container, command):
    pid = int(subprocess.check_output([ENGINE, "inspect", "-f", "{{.State.Pid}}", container],
                                      stderr=subprocess.DEVNULL))
    cgroup, version = cgroup_dir(pid)
    before, cpu_before, began = processes(cgroup), cpu_seconds(cgroup, version), time.time()
    run = subprocess.Popen([ENGINE, "exec", container, "sh", "-c", command],
                           stderr=subprocess.DEVNULL)
    last = dict(before)
    while run.poll() is None:
        time.sleep(0.3)
        last.update(processes(cgroup))
    time.sleep(3)
    last.update(processes(cgroup))
    ticks = collections.Counter()
    for p, (name, used) in last.items():
        earlier = before.get(p)
        ticks[name] += used - (earlier[1] if earlier and earlier[0] == name else 0)
    hz = os.sysconf("SC_CLK_TCK")
    print(f"container CPU {cpu_seconds(cgroup, version) - cpu_before:.2f} s in "
          f"{time.time() - began:.1f} s; by process name/real uid:")
    for name, used in ticks.most_common(16):
        print(f"  {name:24s} {used / hz:.2f} s")
    return run.returncode


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
