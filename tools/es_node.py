"""A local single-node Elasticsearch for tests and development, without Docker.

    python tools/es_node.py start [--dir DIR] [--port PORT]   # prints EWS_ES_URL=http://127.0.0.1:PORT
    python tools/es_node.py status [--dir DIR]
    python tools/es_node.py stop [--dir DIR]

The distribution is Elasticsearch's own `integ-test-zip`, resolved by its Maven
coordinates through the local `mvn` (so through whatever repository Maven is
configured for), unpacked once into a cache outside the repository and reused.
Each node keeps its configuration, data, logs and pid file under its own state
directory, listens on 127.0.0.1 only, runs with a small heap and security off:
it is a development node, never a production one (that is docker-compose.yml).

Only the standard library is used, so the launcher runs before `make install`.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

# The newest release Maven Central serves as integ-test-zip (it serves no 9.x); the
# project's client is pinned to the same major in requirements.lock.
VERSION = "8.19.21"
DISTRIBUTION = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
# Tried once per cached version; installed when Maven serves it.
NORI_PLUGIN = "org.elasticsearch.plugin:analysis-nori:{version}:zip"
# Lucene's Korean analyzer, exposed under Elasticsearch's names by the project's small plugin
# (es_analysis/) when the official plugin is not served; its version is the distribution's Lucene.
LUCENE_NORI = "org.apache.lucene:lucene-analysis-nori:{lucene}"
ANALYSIS_PLUGIN_SOURCE = Path(__file__).resolve().with_name("es_analysis") / "EwsAnalysisPlugin.java"
# raised whenever what fetch() leaves in the cache changes, so older caches are rebuilt
CACHE_LAYOUT = 2
MIN_JAVA = 21
JVM_ROOT = Path("/usr/lib/jvm")  # where Debian and the Temurin packages put JDKs
HEAP = "512m"
# Elasticsearch refuses to run as root; a root caller (CI, containers) starts it as this user.
UNPRIVILEGED_USER = "nobody"


class MissingTool(RuntimeError):
    """Java or Maven is not there, or the distribution cannot be fetched: the message says which."""


@dataclass
class Node:
    url: str
    pid: int
    state_dir: Path
    version: str

    def alive(self) -> bool:
        return pid_alive(self.pid)


# locations ---------------------------------------------------------------------------------------
def _running_as_root() -> bool:
    return os.geteuid() == 0


def cache_root() -> Path:
    if os.environ.get("EWS_ES_CACHE"):
        return Path(os.environ["EWS_ES_CACHE"])
    if _running_as_root():  # root's home is private, and the node runs as another user who must read it
        return Path("/var/cache/ews/elasticsearch")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ews" / "elasticsearch"


def default_state_dir() -> Path:
    if os.environ.get("EWS_ES_STATE"):
        return Path(os.environ["EWS_ES_STATE"])
    if _running_as_root():
        return Path("/var/lib/ews/es-local")
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "ews" / "es-local"


# tools ---------------------------------------------------------------------------------------------
def _java_version(java_home: Path) -> int | None:
    release = java_home / "release"
    if not (java_home / "bin" / "java").exists():
        return None
    if release.exists():
        m = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(errors="replace"), re.M)
        if m:
            return int(m.group(1))
    try:
        out = subprocess.run([str(java_home / "bin" / "java"), "-version"], capture_output=True, text=True,
                             timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)', out)
    return int(m.group(1)) if m else None


def find_java() -> Path:
    """JAVA_HOME if it is 21 or newer, else the newest such JDK under /usr/lib/jvm."""
    seen = []
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var):
            home = Path(os.environ[var])
            v = _java_version(home)
            seen.append(f"{var}={home} (Java {v or '?'})")
            if v and v >= MIN_JAVA:
                return home
    candidates = []
    jvm = JVM_ROOT
    for home in sorted(jvm.iterdir()) if jvm.is_dir() else []:
        if home.is_symlink():
            continue
        v = _java_version(home)
        if v:
            seen.append(f"{home} (Java {v})")
            if v >= MIN_JAVA:
                candidates.append((v, home))
    if candidates:
        return max(candidates)[1]
    raise MissingTool(f"Elasticsearch needs Java {MIN_JAVA} or newer; found: {', '.join(seen) or 'no JDK'}. "
                      f"Install one (e.g. apt-get install openjdk-{MIN_JAVA}-jdk-headless) or set JAVA_HOME.")


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise MissingTool("Maven (mvn) is not installed; it fetches the Elasticsearch distribution by its "
                          "coordinates. Install it (e.g. apt-get install maven).")
    return mvn


def _maven_copy(artifact: str, dest: Path, java_home: Path) -> Path | None:
    """One artifact into dest through Maven; None when the repository does not serve it."""
    env = dict(os.environ)
    if not env.get("JAVA_HOME") and not shutil.which("java"):
        env["JAVA_HOME"] = str(java_home)
    cmd = [find_maven(), "-B", "-q", "-Dstyle.color=never", "dependency:copy", f"-Dartifact={artifact}",
           f"-DoutputDirectory={dest}"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    files = [f for f in dest.glob("*") if f.is_file()]
    if res.returncode == 0 and files:
        return files[0]
    output = res.stdout + res.stderr
    if any(m in output for m in ("Could not find artifact", "was not found in", "Could not find metadata")):
        return None
    raise MissingTool(f"Maven could not fetch {artifact}:\n" + (res.stdout + res.stderr)[-2000:])


# fetch -------------------------------------------------------------------------------------------
def _unzip(archive: Path, dest: Path) -> None:
    """Unpack keeping the executable bits (zipfile drops them) and readable by everyone."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if info.is_dir():
                path.chmod(0o755)
            else:
                path.chmod((mode or 0o644) | 0o444)


@contextlib.contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # two test runs fetching at once unpack it once
        yield


def build_analysis_plugin(home: Path, java_home: Path, work: Path) -> str:
    """Compile es_analysis/ against the distribution and Lucene's nori into plugins/; '' or why not."""
    javac = java_home / "bin" / "javac"
    if not javac.exists():
        return f"no javac in {java_home} (a JRE, not a JDK)"
    lucene = next((m.group(1) for f in (home / "lib").glob("lucene-core-*.jar")
                   if (m := re.match(r"lucene-core-(.+)\.jar$", f.name))), None)
    if lucene is None:
        return "no lucene-core jar in the distribution"
    nori = _maven_copy(LUCENE_NORI.format(lucene=lucene), work / "lucene-nori", java_home)
    if nori is None:
        return f"Maven serves no {LUCENE_NORI.format(lucene=lucene)}"
    plugin = work / "ews-analysis"
    (plugin / "classes").mkdir(parents=True)
    classpath = f"{home / 'lib'}/*{os.pathsep}{nori}"
    subprocess.run([str(javac), "--release", str(MIN_JAVA), "-nowarn", "-d", str(plugin / "classes"), "-cp", classpath,
                    str(ANALYSIS_PLUGIN_SOURCE)], check=True, capture_output=True, timeout=600)
    subprocess.run([str(java_home / "bin" / "jar"), "--create", "--file", str(plugin / "ews-analysis.jar"),
                    "-C", str(plugin / "classes"), "."], check=True, capture_output=True, timeout=600)
    shutil.rmtree(plugin / "classes")
    shutil.copy(nori, plugin / nori.name)
    es_version = home.name.removeprefix("elasticsearch-")
    (plugin / "plugin-descriptor.properties").write_text("\n".join([
        "description=Lucene Korean (nori), CJK and English analysis under Elasticsearch's names (tech-security-ews)",
        f"version={es_version}", "name=ews-analysis", "classname=ews.analysis.EwsAnalysisPlugin",
        f"java.version={MIN_JAVA}", f"elasticsearch.version={es_version}", ""]))
    for f in plugin.iterdir():
        f.chmod(0o644)
    plugin.chmod(0o755)
    plugin.rename(home / "plugins" / "ews-analysis")
    return ""


def _cache_current(marker: Path) -> bool:
    try:
        return json.loads(marker.read_text()).get("layout") == CACHE_LAYOUT
    except (OSError, ValueError):
        return False


def fetch(version: str = VERSION) -> Path:
    """The unpacked distribution for version, fetched through Maven on first use."""
    root = cache_root()
    home = root / version / f"elasticsearch-{version}"
    marker = root / version / "fetched.json"
    if _cache_current(marker):
        return home
    java_home = find_java()
    with _lock(root / f"{version}.lock"):
        if _cache_current(marker):
            return home
        work = Path(tempfile.mkdtemp(prefix="fetch-", dir=root))
        try:
            archive = _maven_copy(DISTRIBUTION.format(version=version), work / "dist", java_home)
            if archive is None:
                raise MissingTool(f"Maven serves no {DISTRIBUTION.format(version=version)}")
            _unzip(archive, work / "unpacked")
            unpacked = work / "unpacked" / f"elasticsearch-{version}"
            nori = _maven_copy(NORI_PLUGIN.format(version=version), work / "nori", java_home)
            if nori is not None:
                subprocess.run([str(unpacked / "bin" / "elasticsearch-plugin"), "install", "--batch",
                                nori.as_uri()], check=True, env={**os.environ, "ES_JAVA_HOME": str(java_home)})
                why_not = "the official analysis-nori plugin is installed"
            else:
                why_not = build_analysis_plugin(unpacked, java_home, work)
            target = root / version
            target.mkdir(parents=True, exist_ok=True)
            if home.exists():
                shutil.rmtree(home)
            unpacked.rename(home)
            for d in (root, target):
                d.chmod(0o755)
            marker.write_text(json.dumps({"version": version, "layout": CACHE_LAYOUT, "nori_plugin": nori is not None,
                                          "ews_analysis": not why_not, "ews_analysis_missing": why_not}) + "\n")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return home


def fetched_info(version: str = VERSION) -> dict:
    return json.loads((cache_root() / version / "fetched.json").read_text())


def has_nori(version: str = VERSION) -> bool:
    info = fetched_info(version)
    return bool(info.get("nori_plugin") or info.get("ews_analysis"))


def describe_analysis(version: str = VERSION) -> str:
    info = fetched_info(version)
    if info.get("nori_plugin"):
        return "analysis-nori plugin installed"
    if info.get("ews_analysis"):
        return "analysis-nori not served; Lucene's nori, CJK and English analysis from tools/es_analysis"
    return f"no Korean analysis plugin ({info.get('ews_analysis_missing')}): standard tokenizer"


# run ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still answers kill(0): it is gone for our purpose
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def _health(url: str, timeout: float = 2.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s",
                                    timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _config(port: int, transport_port: int, state: Path) -> str:
    return "\n".join([
        "cluster.name: ews-local",
        "node.name: ews-local",
        f"path.data: {state / 'data'}",
        f"path.logs: {state / 'logs'}",
        "network.host: 127.0.0.1",
        f"http.port: {port}",
        f"transport.port: {transport_port}",
        "discovery.type: single-node",
        "xpack.security.enabled: false",  # a local development node on loopback, never production
        # the machine's disk may be fuller than Elasticsearch's default 85/90/95 % allows
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "",
    ])


def _prepare_state(home: Path, state: Path, port: int, transport_port: int) -> None:
    for sub in ("data", "logs", "tmp"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    conf = state / "config"
    if not conf.exists():
        shutil.copytree(home / "config", conf)
    (conf / "elasticsearch.yml").write_text(_config(port, transport_port, state))
    (conf / "jvm.options.d").mkdir(exist_ok=True)
    (conf / "jvm.options.d" / "heap.options").write_text(f"-Xms{HEAP}\n-Xmx{HEAP}\n")
    if _running_as_root():
        user = os.environ.get("EWS_ES_USER", UNPRIVILEGED_USER)
        for path in [state, *state.rglob("*")]:
            shutil.chown(path, user=user)


def read_node(state_dir: Path) -> Node | None:
    try:
        info = json.loads((state_dir / "node.json").read_text())
        pid = int((state_dir / "es.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return Node(url=info["url"], pid=pid, state_dir=state_dir, version=info["version"])


def start(state_dir: Path | None = None, port: int | None = None, version: str = VERSION,
          timeout: float = 180.0) -> Node:
    """Start a node on state_dir (reusing its data), or return the one already running there."""
    state = Path(state_dir or default_state_dir()).resolve()
    running = read_node(state)
    if running and running.alive():  # started before, perhaps still starting: a second one would fight for the data
        deadline = time.monotonic() + timeout
        while running.alive() and time.monotonic() < deadline:
            if _health(running.url):
                return running
            time.sleep(0.5)
        if running.alive():
            raise RuntimeError(f"the node running under {state} (pid {running.pid}) does not answer at {running.url}")
    home = fetch(version)
    java_home = find_java()
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)
    (state / "es.pid").unlink(missing_ok=True)
    last_error = ""
    for _ in range(3):  # a port picked free can be taken before the node binds it
        http_port = port or free_port()
        _prepare_state(home, state, http_port, free_port())
        env = {**os.environ, "ES_JAVA_HOME": str(java_home), "ES_PATH_CONF": str(state / "config"),
               "ES_TMPDIR": str(state / "tmp"), "ES_JAVA_OPTS": ""}
        env.pop("JAVA_HOME", None)
        kw = {"user": os.environ.get("EWS_ES_USER", UNPRIVILEGED_USER)} if _running_as_root() else {}
        with open(state / "logs" / "launcher.log", "ab") as log:
            # -d: the command returns once the node is up (or failed), leaving the server running
            proc = subprocess.run([str(home / "bin" / "elasticsearch"), "-d", "-p", str(state / "es.pid")],
                                  stdout=log, stderr=subprocess.STDOUT, env=env, cwd=state,
                                  start_new_session=True, timeout=timeout, **kw)
        url = f"http://127.0.0.1:{http_port}"
        if proc.returncode == 0:
            (state / "node.json").write_text(json.dumps({"url": url, "version": version}) + "\n")
            node = read_node(state)
            deadline = time.monotonic() + timeout
            while node and node.alive() and time.monotonic() < deadline:
                if _health(url):
                    return node
                time.sleep(0.5)
        last_error = _log_tail(state)
        if "BindException" not in last_error and "Address already in use" not in last_error or port:
            break
    raise RuntimeError(f"Elasticsearch did not start on {state}:\n{last_error}")


def _log_tail(state: Path, lines: int = 40) -> str:
    text = []
    for name in ("launcher.log", "ews-local.log"):
        p = state / "logs" / name
        if p.exists():
            text += p.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(text)


def stop(state_dir: Path | None = None, kill: bool = False, timeout: float = 60.0) -> bool:
    """Stop the node of state_dir by its pid: SIGTERM (or SIGKILL when kill); False if none ran."""
    state = Path(state_dir or default_state_dir()).resolve()
    node = read_node(state)
    if node is None or not node.alive():
        return False
    os.kill(node.pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while node.alive():
        if time.monotonic() > deadline:
            os.kill(node.pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.2)
    (state / "es.pid").unlink(missing_ok=True)
    return True


# command line ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="es_node", description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=["start", "stop", "status", "fetch"])
    ap.add_argument("--dir", type=Path, default=None, help="state directory (config, data, logs, pid)")
    ap.add_argument("--port", type=int, default=None, help="HTTP port (default: a free one)")
    ap.add_argument("--version", default=VERSION)
    args = ap.parse_args(argv)
    state = args.dir or default_state_dir()
    try:
        if args.command == "fetch":
            print(fetch(args.version))
        elif args.command == "start":
            node = start(state, args.port, args.version)
            print(f"Elasticsearch {node.version} running (pid {node.pid}, data under {state}, "
                  f"{describe_analysis(node.version)}); stop it with `make elasticsearch-stop`", file=sys.stderr)
            print(f"EWS_ES_URL={node.url}")
        elif args.command == "stop":
            print("stopped" if stop(state) else f"no node running under {state}")
        else:
            node = read_node(state)
            if node and node.alive():
                health = _health(node.url)
                print(f"running pid={node.pid} EWS_ES_URL={node.url} status={(health or {}).get('status', '?')}")
            else:
                print(f"not running ({state})")
                return 1
    except MissingTool as e:
        print(f"es_node: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"es_node: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
