#!/usr/bin/env python3
"""Regenerate the fixture indexes under testdata/repos/ (run from anywhere: python3 gen-fixtures.py).

The committed *.Packages / Release.in files are the fixtures; this script only exists so that they can be
regenerated consistently. Tests never run it. Facts it encodes (see README.md next to it):

* Docker's repository: Origin `Docker`, Label `Docker CE`, Suite = codename, no Codename field,
  component `stable`, a per-codename pool (`dists/<codename>/pool/stable/<arch>/...`, no epoch in the
  file name), three version formats (`5:20.10.23~3-0~debian-buster`, `5:23.0.1-1~debian.10~buster`,
  `1.6.18-1`), plugins with `Source: docker-ce (<docker-ce version>)`, old versions kept in the index.
* Relationship fields follow docker-ce-packaging's deb/common/control per branch (20.10 / 23.0 / 24.0)
  plus the shlibs the binaries carried (libc6, libdevmapper1.02.1, libsystemd0).
* .deb hashes are made up (derived from name/version/arch/codename, so distinct per version), except the
  one real stanza docker-ce-cli 5:20.10.9~3-0~debian-buster arm64, copied verbatim.
"""
import datetime
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))

DOCKER_LONG = """ Docker is a product for you to build, ship and run any application as a
 lightweight container
 .
 Docker containers are both hardware-agnostic and platform-agnostic. This means
 they can run anywhere, from your laptop to the largest cloud compute instance and
 everything in between - and they don't require you to use a particular
 language, framework or packaging system. That makes them great building blocks
 for deploying and scaling web apps, databases, and backend services without
 depending on a particular stack or provider."""

# The one complete real stanza we have (debian-buster-arm64.Packages.facts), kept verbatim.
REAL_CLI_20_10_9_ARM64 = """Package: docker-ce-cli
Architecture: arm64
Version: 5:20.10.9~3-0~debian-buster
Priority: optional
Section: admin
Source: docker-ce
Maintainer: Docker <support@docker.com>
Installed-Size: 143685
Depends: libc6 (>= 2.17)
Conflicts: docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, lxc-docker-virtual-package
Breaks: docker-ce (<< 5:0)
Replaces: docker-ce (<< 5:0)
Filename: dists/buster/pool/stable/arm64/docker-ce-cli_20.10.9~3-0~debian-buster_arm64.deb
Size: 34713030
MD5sum: d3706730a428867d5a0499470b22c5ee
SHA1: f7445b0ba72d25c47ab7d5ecbb764fe7ff622e90
SHA256: ad3ad77dc329927902bfc6340b4b54578a684a822a5efd7d8e3013cab0b5b41b
SHA512: c7043b6b95ebd6324e7696ee9d1fd67b84cadaf9cd4c12631fd1167879203ca4aad874eda5094e634140f83aad4755b6f7e04a77873708eed0eaafe861743976
Homepage: https://www.docker.com
Description: Docker CLI: the open-source application container engine
""" + DOCKER_LONG + "\n"

CONFLICTS = ("docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, "
             "lxc-docker-virtual-package")

DISTRO = {"buster": ("debian", "10"), "bullseye": ("debian", "11"), "bookworm": ("debian", "12"),
          "jammy": ("ubuntu", "22.04"), "noble": ("ubuntu", "24.04")}
# libc6 version the Go binaries' shlibs asked for, per build codename
SHLIBS_LIBC = {"buster": "2.17", "bullseye": "2.17", "bookworm": "2.34", "jammy": "2.34", "noble": "2.34"}


def vtuple(v):
    """(major, minor, patch) of an upstream version like `26.1.4` or `1.6.33-1`."""
    return tuple(int(x) for x in v.split("-")[0].split(".")[:3])


def seed_hashes(*parts):
    s = "|".join(parts).encode()
    return (hashlib.md5(s).hexdigest(), hashlib.sha1(s).hexdigest(), hashlib.sha256(s).hexdigest(),
            hashlib.sha512(s).hexdigest())


def size_for(base, *parts):
    """A realistic, deterministic size near `base` (+-3 %)."""
    h = int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)
    return base + (h % (base // 16)) - base // 32


def stanza(fields, desc):
    out = []
    for k, v in fields:
        if v is not None and v != "":
            out.append(f"{k}: {v}")
    out.append("Description: " + desc)
    return "\n".join(out) + "\n"


def deb_fields(name, arch, version, code, pool_comp, size, isize, section="admin", source=None,
               maint="Docker <support@docker.com>", rel=(), homepage=None):
    fver = version.split(":", 1)[1] if ":" in version else version
    md5, sha1, sha256, sha512 = seed_hashes(name, version, arch, code)
    f = [("Package", name), ("Architecture", arch), ("Version", version), ("Priority", "optional"),
         ("Section", section), ("Source", source), ("Maintainer", maint), ("Installed-Size", str(isize))]
    f += list(rel)
    f += [("Filename", f"dists/{code}/pool/{pool_comp}/{arch}/{name}_{fver}_{arch}.deb"), ("Size", str(size)),
          ("MD5sum", md5), ("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512), ("Homepage", homepage)]
    return f


def ce_version(v, code):
    distro, vid = DISTRO[code]
    if v.startswith("20.10."):
        return f"5:{v}~3-0~{distro}-{code}"
    return f"5:{v}-1~{distro}.{vid}~{code}"


def plugin_version(v, code, old=False):
    distro, vid = DISTRO[code]
    return f"{v}~{distro}-{code}" if old else f"{v}-1~{distro}.{vid}~{code}"


def docker_ce(v, code, arch):
    distro, _ = DISTRO[code]
    ver = ce_version(v, code)
    libc = SHLIBS_LIBC[code]
    containerd_min = "1.4.1" if v.startswith("20.10.") else "1.6.4"
    devmapper = "libdevmapper1.02.1 (>= 2:1.02.97), "
    if vtuple(v) >= (25, 0, 0):
        # 25.0: containerd.io (>= 1.6.24) and the devicemapper driver (libdevmapper) removed
        containerd_min, devmapper = "1.6.24", ""
    dep = (f"containerd.io (>= {containerd_min}), docker-ce-cli, iptables, libseccomp2 (>= 2.3.0), "
           f"libc6 (>= {libc}), {devmapper}libsystemd0")
    rec = "apparmor, ca-certificates, docker-ce-rootless-extras, git, libltdl7, pigz, procps, xz-utils"
    sug = "aufs-tools, cgroupfs-mount | cgroup-lite" if arch == "amd64" else "cgroupfs-mount | cgroup-lite"
    base = 21_000_000 if v.startswith("20.10.") else 22_600_000
    if vtuple(v) >= (26, 0, 0):
        base = 25_300_000  # apt logs: docker-ce 26.1.4 [25.3 MB]
    if arch == "arm64":
        base = base * 17 // 20
    rel = [("Depends", dep), ("Recommends", rec), ("Suggests", sug), ("Conflicts", CONFLICTS),
           ("Replaces", "docker-engine")]
    f = deb_fields("docker-ce", arch, ver, code, "stable", size_for(base, "ce", ver, arch),
                   size_for(96_000, "ce-i", ver, arch), rel=rel, homepage="https://www.docker.com")
    return stanza(f, "Docker: the open-source application container engine\n" + DOCKER_LONG)


def docker_ce_cli(v, code, arch):
    ver = ce_version(v, code)
    if ver == "5:20.10.9~3-0~debian-buster" and arch == "arm64":
        return REAL_CLI_20_10_9_ARM64
    if v.startswith("20.10."):
        # docker-scan-plugin only exists for amd64, so only amd64 builds recommend it
        rec = "docker-scan-plugin" if arch == "amd64" else None
        base, ibase = 41_000_000, 170_000
    else:
        rec = "docker-buildx-plugin, docker-compose-plugin"
        base, ibase = 13_300_000, 48_000
        if vtuple(v) >= (26, 0, 0):
            base = 14_600_000  # apt logs: docker-ce-cli 26.1.4 [14.6 MB]
    if arch == "arm64":
        base = base * 17 // 20
    rel = [("Depends", f"libc6 (>= {SHLIBS_LIBC[code]})"), ("Recommends", rec), ("Conflicts", CONFLICTS),
           ("Breaks", "docker-ce (<< 5:0)"), ("Replaces", "docker-ce (<< 5:0)")]
    f = deb_fields("docker-ce-cli", arch, ver, code, "stable", size_for(base, "cli", ver, arch),
                   size_for(ibase, "cli-i", ver, arch), source="docker-ce", rel=rel,
                   homepage="https://www.docker.com")
    return stanza(f, "Docker CLI: the open-source application container engine\n" + DOCKER_LONG)


def rootless(v, code, arch):
    ver = ce_version(v, code)
    rel = [("Depends", f"dbus-user-session, libc6 (>= {SHLIBS_LIBC[code]})"),
           ("Recommends", "slirp4netns (>= 0.4.0)"), ("Enhances", "docker-ce"), ("Conflicts", "rootlesskit"),
           ("Breaks", "rootlesskit"), ("Replaces", "rootlesskit")]
    base = 8_700_000 if arch == "amd64" else 7_600_000
    f = deb_fields("docker-ce-rootless-extras", arch, ver, code, "stable", size_for(base, "rl", ver, arch),
                   size_for(17_900, "rl-i", ver, arch), source="docker-ce", rel=rel,
                   homepage="https://docs.docker.com/engine/security/rootless/")
    return stanza(f, "Rootless support for Docker.\n Use dockerd-rootless.sh to run the daemon.\n"
                     " Use dockerd-rootless-setuptool.sh to setup systemd for dockerd-rootless.sh .\n"
                     " This package contains RootlessKit, but does not contain VPNKit.\n"
                     " Either VPNKit or slirp4netns (>= 0.4.0) needs to be installed separately.")


def containerd(v, code, arch):
    libc, seccomp = {"buster": ("2.14", "2.3.1"), "bullseye": ("2.14", "2.5.0"),
                     "bookworm": ("2.34", "2.5.0"), "jammy": ("2.34", "2.5.0"),
                     "noble": ("2.34", "2.5.0")}[code]
    rel = [("Depends", f"libc6 (>= {libc}), libseccomp2 (>= {seccomp})"), ("Conflicts", "containerd, runc"),
           ("Breaks", None), ("Replaces", "containerd, runc"), ("Provides", "containerd, runc")]
    base = 24_000_000 if v.startswith("1.4.") else 27_800_000
    if vtuple(v) >= (1, 6, 24):
        base = 29_600_000  # apt logs: containerd.io 1.6.24-1 [28.6 MB] .. 1.6.33-1 [30.0 MB]
    if arch == "arm64":
        base = base * 9 // 10
    f = deb_fields("containerd.io", arch, v, code, "stable", size_for(base, "ctd", v, arch, code),
                   size_for(116_000, "ctd-i", v, arch), section="devel",
                   maint="Containerd team <help@containerd.io>", rel=rel, homepage="https://containerd.io")
    return stanza(f, "An open and reliable container runtime")


def buildx(v, ce_v, code, arch):
    ver = plugin_version(v, code)
    rel = [("Replaces", "docker-ce-cli"), ("Enhances", "docker-ce-cli")]
    base = 26_200_000 if arch == "amd64" else 23_800_000
    if vtuple(v) >= (0, 11, 0):
        base = base * 113 // 100  # apt logs: buildx 0.11.2 [28.2 MB], 0.14.1 [29.6 MB]
    f = deb_fields("docker-buildx-plugin", arch, ver, code, "stable", size_for(base, "bx", ver, arch),
                   size_for(67_000, "bx-i", ver, arch), source=f"docker-ce ({ce_version(ce_v, code)})",
                   rel=rel, homepage="https://github.com/docker/buildx")
    return stanza(f, "Docker Buildx cli plugin.")


def compose(v, ce_v, code, arch, old=False):
    ver = plugin_version(v, code, old)
    rel = [("Enhances", "docker-ce-cli")]
    base = (7_200_000 if old else 10_900_000) * (1 if arch == "amd64" else 9) // (1 if arch == "amd64" else 10)
    if not old and vtuple(v) >= (2, 20, 0):
        base = base * 115 // 100  # apt logs: compose 2.21.0 [11.9 MB], 2.27.1 [12.5 MB]
    f = deb_fields("docker-compose-plugin", arch, ver, code, "stable", size_for(base, "cp", ver, arch),
                   size_for(25_000 if old else 52_000, "cp-i", ver, arch),
                   source=f"docker-ce ({ce_version(ce_v, code)})", rel=rel,
                   homepage="https://github.com/docker/compose")
    return stanza(f, "Docker Compose (V2) plugin for the Docker CLI.\n .\n"
                     " This plugin provides the 'docker compose' subcommand.\n .\n"
                     " The binary can also be run standalone as a direct replacement for\n"
                     " Docker Compose V1 ('docker-compose').")


def scan(v, ce_v, code, arch):
    ver = plugin_version(v, code, old=True)
    f = deb_fields("docker-scan-plugin", arch, ver, code, "stable", size_for(3_520_000, "scan", ver, arch),
                   size_for(12_950, "scan-i", ver, arch), source=f"docker-ce ({ce_version(ce_v, code)})",
                   rel=[("Enhances", "docker-ce-cli")], homepage="https://github.com/docker/scan-cli-plugin")
    return stanza(f, "Docker scan cli plugin.")


def rfc2822(y, mo, d, h, mi, s, zone="+0000"):
    t = datetime.datetime(y, mo, d, h, mi, s)
    return t.strftime("%a, %d %b %Y %H:%M:%S ") + zone


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def docker_repo(name, date, suites, distro_label="Docker CE"):
    """suites: {codename: dict(ce=[...], containerd=[...], buildx=[(v, ce_v)], compose=[(v, ce_v, old)],
    scan=[(v, ce_v)])}"""
    for code, spec in suites.items():
        write(f"{HERE}/{name}/{code}/Release.in",
              f"Origin: Docker\nLabel: {distro_label}\nSuite: {code}\nDate: {date}\n")
        for arch in ("amd64", "arm64"):
            st = []
            for v in spec["containerd"]:
                st.append(containerd(v, code, arch))
            for v, ce_v in spec["buildx"]:
                st.append(buildx(v, ce_v, code, arch))
            for v in spec["ce"]:
                st.append(docker_ce(v, code, arch))
            for v in spec["ce"]:
                st.append(docker_ce_cli(v, code, arch))
            for v in spec["ce"]:
                st.append(rootless(v, code, arch))
            for v, ce_v, old in spec["compose"]:
                st.append(compose(v, ce_v, code, arch, old))
            if arch == "amd64":
                for v, ce_v in spec.get("scan", []):
                    st.append(scan(v, ce_v, code, arch))
            write(f"{HERE}/{name}/{code}/stable/{arch}.Packages", "\n".join(st))


# ---- Docker snapshots -------------------------------------------------------------------------------
CE_2023_03 = ["20.10.9", "20.10.21", "20.10.22", "20.10.23", "23.0.0", "23.0.1"]
CE_2023_06 = ["20.10.9", "20.10.21", "20.10.22", "20.10.23", "20.10.24", "23.0.0", "23.0.1", "23.0.2",
              "23.0.3", "23.0.4", "23.0.5", "23.0.6", "24.0.0", "24.0.1", "24.0.2"]
snap_03 = {
    "ce": CE_2023_03,
    "containerd": ["1.4.13-1", "1.6.9-1", "1.6.16-1", "1.6.18-1"],
    "buildx": [("0.10.2", "23.0.0"), ("0.10.4", "23.0.1")],
    "compose": [("2.6.0", "20.10.17", True), ("2.16.0", "23.0.1", False)],
    "scan": [("0.23.0", "20.10.21")],
}
snap_06 = {
    "ce": CE_2023_06,
    "containerd": ["1.4.13-1", "1.6.9-1", "1.6.16-1", "1.6.18-1", "1.6.20-1", "1.6.21-1"],
    "buildx": [("0.10.2", "23.0.0"), ("0.10.4", "23.0.1"), ("0.10.5", "24.0.2")],
    "compose": [("2.6.0", "20.10.17", True), ("2.16.0", "23.0.1", False), ("2.17.3", "23.0.6", False),
                ("2.18.1", "24.0.2", False)],
    "scan": [("0.23.0", "20.10.21")],
}
bookworm_06 = {  # Docker published bookworm with 24.0.2 in June 2023
    "ce": ["24.0.2"],
    "containerd": ["1.6.21-1"],
    "buildx": [("0.10.5", "24.0.2")],
    "compose": [("2.18.1", "24.0.2", False)],
}
jammy_06 = {
    "ce": ["20.10.17", "20.10.21", "20.10.23", "20.10.24", "23.0.1", "23.0.6", "24.0.0", "24.0.2"],
    "containerd": ["1.6.18-1", "1.6.20-1", "1.6.21-1"],
    "buildx": [("0.10.4", "23.0.1"), ("0.10.5", "24.0.2")],
    "compose": [("2.6.0", "20.10.17", True), ("2.18.1", "24.0.2", False)],
    "scan": [("0.23.0", "20.10.21")],
}
# June 2024, right after 26.1.4 (2024-06-05): noble's Docker builds start at 26.0.0 (March 2024);
# jammy keeps every older build. Versions are real releases (docker/cli tags, containerd.io
# changelog) and, where listed, versions seen on these codenames (versions.md); plugin
# `Source:` versions as observed for buildx 0.11.2 (24.0.5) and compose 2.21.0 (24.0.6).
jammy_24 = {
    "ce": ["20.10.17", "20.10.21", "20.10.23", "20.10.24", "23.0.1", "23.0.6", "24.0.0", "24.0.2", "24.0.5",
           "24.0.6", "24.0.7", "24.0.9", "25.0.0", "25.0.5", "26.0.0", "26.1.4"],
    "containerd": ["1.6.18-1", "1.6.20-1", "1.6.21-1", "1.6.24-1", "1.6.26-1", "1.6.28-1", "1.6.33-1"],
    "buildx": [("0.10.4", "23.0.1"), ("0.10.5", "24.0.2"), ("0.11.2", "24.0.5"), ("0.12.1", "25.0.0"),
               ("0.14.1", "26.1.4")],
    "compose": [("2.6.0", "20.10.17", True), ("2.18.1", "24.0.2", False), ("2.21.0", "24.0.6", False),
                ("2.24.6", "25.0.5", False), ("2.27.1", "26.1.4", False)],
    "scan": [("0.23.0", "20.10.21")],
}
noble_24 = {
    "ce": ["26.0.0", "26.0.1", "26.0.2", "26.1.0", "26.1.1", "26.1.2", "26.1.3", "26.1.4"],
    "containerd": ["1.6.28-1", "1.6.33-1"],
    "buildx": [("0.13.1", "26.0.0"), ("0.14.1", "26.1.4")],
    "compose": [("2.25.0", "26.0.0", False), ("2.27.0", "26.1.3", False), ("2.27.1", "26.1.4", False)],
}


def ubuntu_docker_ce(v, code, arch):
    return docker_ce(v, code, arch)  # Ubuntu builds always recommended apparmor; same template here


docker_repo("docker-debian-2023-03", rfc2822(2023, 3, 10, 11, 47, 13), {"buster": snap_03, "bullseye": snap_03})
docker_repo("docker-debian", rfc2822(2023, 6, 12, 8, 21, 52),
            {"buster": snap_06, "bullseye": snap_06, "bookworm": bookworm_06})
docker_repo("docker-ubuntu", rfc2822(2023, 6, 12, 8, 22, 7), {"jammy": jammy_06})
docker_repo("docker-ubuntu-2024-06", rfc2822(2024, 6, 7, 9, 14, 52), {"jammy": jammy_24, "noble": noble_24})

# ---- debian-main: the dependency closure ------------------------------------------------------------
# (name, version, arch-any?, section, fields...) ; "all" packages appear in both arch indexes.
BUSTER = [
    ("apparmor", "2.13.2-10", True, "admin", [("Depends", "debconf, lsb-base, libc6 (>= 2.28), debconf (>= 0.5) | debconf-2.0")], "user-space parser utility for AppArmor"),
    ("ca-certificates", "20200601~deb10u2", False, "misc", [("Depends", "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0")], "Common CA certificates"),
    ("dbus", "1.12.28-0+deb10u1", True, "admin", [("Depends", "adduser, libc6 (>= 2.28), libdbus-1-3 (= 1.12.28-0+deb10u1), libexpat1 (>= 2.1~beta3), libsystemd0")], "simple interprocess messaging system (daemon and utilities)"),
    ("dbus-user-session", "1.12.28-0+deb10u1", True, "admin", [("Depends", "dbus (>= 1.12.28-0+deb10u1)"), ("Provides", "default-dbus-session-bus, dbus-session-bus")], "simple interprocess messaging system (systemd --user integration)"),
    ("adduser", "3.118", False, "admin", [("Depends", "passwd, debconf (>= 0.5) | debconf-2.0")], "add and remove users and groups"),
    ("passwd", "1:4.5-1.1", True, "admin", [("Depends", "libc6 (>= 2.28)")], "change and administer password and group data"),
    ("debconf", "1.5.71+deb10u1", False, "admin", [("Pre-Depends", "perl-base (>= 5.20.1-1)"), ("Provides", "debconf-2.0")], "Debian configuration management system"),
    ("dmsetup", "2:1.02.155-3", True, "admin", [("Depends", "libc6 (>= 2.28), libdevmapper1.02.1 (>= 2:1.02.155), libudev1 (>= 183)")], "Linux Kernel Device Mapper userspace library"),
    ("gcc-8-base", "8.3.0-6", True, "libs", [], "GCC, the GNU Compiler Collection (base package)"),
    ("git", "1:2.20.1-2+deb10u3", True, "vcs", [("Depends", "perl, git-man (>> 1:2.20.1), git-man (<< 1:2.20.1-.), libc6 (>= 2.28), libpcre2-8-0 (>= 10.32), zlib1g (>= 1:1.2.0)")], "fast, scalable, distributed revision control system"),
    ("git-man", "1:2.20.1-2+deb10u3", False, "doc", [], "fast, scalable, distributed revision control system (manual pages)"),
    ("init-system-helpers", "1.56+nmu1", False, "admin", [("Depends", "perl-base (>= 5.20.1-3)")], "helper tools for all init systems"),
    ("iptables", "1.8.2-4", True, "net", [("Depends", "libip4tc0 (= 1.8.2-4), libip6tc0 (= 1.8.2-4), libxtables12 (= 1.8.2-4), libc6 (>= 2.28), netbase")], "administration tools for packet filtering and NAT"),
    ("libc6", "2.28-10+deb10u2", True, "libs", [("Depends", "libgcc1")], "GNU C Library: Shared libraries"),
    ("libcap2", "1:2.25-2", True, "libs", [("Depends", "libc6 (>= 2.14)")], "POSIX 1003.1e capabilities (library)"),
    ("libdbus-1-3", "1.12.28-0+deb10u1", True, "libs", [("Depends", "libc6 (>= 2.28), libsystemd0")], "simple interprocess messaging system (library)"),
    ("libdevmapper1.02.1", "2:1.02.155-3", True, "libs", [("Depends", "dmsetup (>= 2:1.02.155-3~), libc6 (>= 2.28), libselinux1 (>= 2.1.9), libudev1 (>= 183)")], "Linux Kernel Device Mapper userspace library"),
    ("libexpat1", "2.2.6-2+deb10u6", True, "libs", [("Depends", "libc6 (>= 2.25)")], "XML parsing C library - runtime library"),
    ("libgcc1", "1:8.3.0-6", True, "libs", [("Depends", "gcc-8-base (= 8.3.0-6), libc6 (>= 2.14)")], "GCC support library"),
    ("libgcrypt20", "1.8.4-5+deb10u1", True, "libs", [("Depends", "libc6 (>= 2.15), libgpg-error0 (>= 1.25)")], "LGPL Crypto library - runtime library"),
    ("libgpg-error0", "1.35-1", True, "libs", [("Depends", "libc6 (>= 2.15)")], "GnuPG development runtime library"),
    ("libip4tc0", "1.8.2-4", True, "libs", [("Depends", "libc6 (>= 2.28)")], "netfilter libip4tc library"),
    ("libip6tc0", "1.8.2-4", True, "libs", [("Depends", "libc6 (>= 2.28)")], "netfilter libip6tc library"),
    ("libltdl7", "2.4.6-9", True, "libs", [("Depends", "libc6 (>= 2.14)")], "System independent dlopen wrapper for GNU libtool"),
    ("liblz4-1", "1.8.3-1+deb10u1", True, "libs", [("Depends", "libc6 (>= 2.14)")], "Fast LZ compression algorithm library - runtime"),
    ("liblzma5", "5.2.4-1+deb10u1", True, "libs", [("Depends", "libc6 (>= 2.17)")], "XZ-format compression library"),
    ("libpcre2-8-0", "10.32-5", True, "libs", [("Depends", "libc6 (>= 2.14)")], "New Perl Compatible Regular Expression Library- 8 bit runtime files"),
    ("libpcre3", "2:8.39-12", True, "libs", [("Depends", "libc6 (>= 2.14)")], "Old Perl 5 Compatible Regular Expression Library - runtime files"),
    ("libprocps7", "2:3.3.15-2", True, "libs", [("Depends", "libc6 (>= 2.14), libsystemd0 (>= 209)")], "library for accessing process information from /proc"),
    ("libseccomp2", "2.3.3-4", True, "libs", [("Depends", "libc6 (>= 2.14)")], "high level interface to Linux seccomp filter"),
    ("libselinux1", "2.8-1+b1", True, "libs", [("Depends", "libc6 (>= 2.14), libpcre3")], "SELinux runtime shared libraries"),
    ("libssl1.1", "1.1.1n-0+deb10u3", True, "libs", [("Depends", "libc6 (>= 2.25)")], "Secure Sockets Layer toolkit - shared libraries"),
    ("libsystemd0", "241-7~deb10u8", True, "libs", [("Depends", "libc6 (>= 2.28), libgcrypt20 (>= 1.8.0), liblz4-1 (>= 0.0~r113), liblzma5 (>= 5.1.1alpha+20120614)")], "systemd utility library"),
    ("libudev1", "241-7~deb10u8", True, "libs", [("Depends", "libc6 (>= 2.25)")], "libudev shared library"),
    ("libxtables12", "1.8.2-4", True, "libs", [("Depends", "libc6 (>= 2.14)")], "netfilter xtables library"),
    ("lsb-base", "10.2019051400", False, "misc", [], "Linux Standard Base init script functionality"),
    ("netbase", "5.6", False, "admin", [], "Basic TCP/IP networking system"),
    ("openssl", "1.1.1n-0+deb10u3", True, "utils", [("Depends", "libc6 (>= 2.15), libssl1.1 (>= 1.1.1)")], "Secure Sockets Layer toolkit - cryptographic utility"),
    ("perl", "5.28.1-6+deb10u1", True, "perl", [("Depends", "perl-base (= 5.28.1-6+deb10u1)")], "Larry Wall's Practical Extraction and Report Language"),
    ("perl-base", "5.28.1-6+deb10u1", True, "perl", [("Pre-Depends", "libc6 (>= 2.23)"), ("Provides", "perlapi-5.28.0, perlapi-5.28.1")], "minimal Perl system"),
    ("pigz", "2.4-1", True, "utils", [("Depends", "libc6 (>= 2.14), zlib1g (>= 1:1.2.3.4)")], "Parallel Implementation of GZip"),
    ("procps", "2:3.3.15-2", True, "admin", [("Depends", "libc6 (>= 2.27), libprocps7 (>= 2:3.3.15-1), lsb-base (>= 3.0-10), init-system-helpers (>= 1.29~)")], "/proc file system utilities"),
    ("slirp4netns", "0.2.3-1", True, "net", [("Depends", "libc6 (>= 2.14)")], "User-mode networking for unprivileged network namespaces"),
    ("xz-utils", "5.2.4-1+deb10u1", True, "utils", [("Depends", "libc6 (>= 2.17), liblzma5 (>= 5.2.2)")], "XZ-format compression utilities"),
    ("zlib1g", "1:1.2.11.dfsg-1+deb10u2", True, "libs", [("Depends", "libc6 (>= 2.14)"), ("Provides", "libz1")], "compression library - runtime"),
]
BOOKWORM = [
    ("apparmor", "3.0.8-3", True, "admin", [("Depends", "debconf, libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0")], "user-space parser utility for AppArmor"),
    ("ca-certificates", "20230311", False, "misc", [("Depends", "openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0")], "Common CA certificates"),
    ("dbus", "1.14.10-1~deb12u1", True, "admin", [("Depends", "libc6 (>= 2.34), libdbus-1-3 (= 1.14.10-1~deb12u1), libexpat1 (>= 2.1~beta3), libsystemd0")], "simple interprocess messaging system (system message bus)"),
    ("dbus-user-session", "1.14.10-1~deb12u1", True, "admin", [("Depends", "dbus (>= 1.14.10-1~deb12u1)"), ("Provides", "default-dbus-session-bus, dbus-session-bus")], "simple interprocess messaging system (systemd --user integration)"),
    ("debconf", "1.5.82", False, "admin", [("Pre-Depends", "perl-base (>= 5.20.1-1)"), ("Provides", "debconf-2.0")], "Debian configuration management system"),
    ("dmsetup", "2:1.02.185-2", True, "admin", [("Depends", "libc6 (>= 2.34), libdevmapper1.02.1 (>= 2:1.02.185), libudev1 (>= 183)")], "Linux Kernel Device Mapper userspace library"),
    ("gcc-12-base", "12.2.0-14", True, "libs", [], "GCC, the GNU Compiler Collection (base package)"),
    ("git", "1:2.39.2-1.1", True, "vcs", [("Depends", "perl, git-man (>> 1:2.39.2), git-man (<< 1:2.39.2-.), libc6 (>= 2.34), libpcre2-8-0 (>= 10.34), zlib1g (>= 1:1.2.0)")], "fast, scalable, distributed revision control system"),
    ("git-man", "1:2.39.2-1.1", False, "doc", [], "fast, scalable, distributed revision control system (manual pages)"),
    ("init-system-helpers", "1.65.2", False, "admin", [("Depends", "perl-base (>= 5.20.1-3)")], "helper tools for all init systems"),
    ("iptables", "1.8.9-2", True, "net", [("Depends", "libip4tc2 (= 1.8.9-2), libip6tc2 (= 1.8.9-2), libxtables12 (= 1.8.9-2), netbase, libc6 (>= 2.34)")], "administration tools for packet filtering and NAT"),
    ("libc6", "2.36-9+deb12u4", True, "libs", [("Depends", "libgcc-s1")], "GNU C Library: Shared libraries"),
    ("libcap2", "1:2.66-4", True, "libs", [("Depends", "libc6 (>= 2.34)")], "POSIX 1003.1e capabilities (library)"),
    ("libdbus-1-3", "1.14.10-1~deb12u1", True, "libs", [("Depends", "libc6 (>= 2.34), libsystemd0")], "simple interprocess messaging system (library)"),
    ("libdevmapper1.02.1", "2:1.02.185-2", True, "libs", [("Depends", "dmsetup (>= 2:1.02.185-2~), libc6 (>= 2.34), libselinux1 (>= 3.1~), libudev1 (>= 183)")], "Linux Kernel Device Mapper userspace library"),
    ("libexpat1", "2.5.0-1", True, "libs", [("Depends", "libc6 (>= 2.25)")], "XML parsing C library - runtime library"),
    ("libgcc-s1", "12.2.0-14", True, "libs", [("Depends", "gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)"), ("Provides", "libgcc1 (= 1:12.2.0-14)")], "GCC support library"),
    ("libgcrypt20", "1.10.1-3", True, "libs", [("Depends", "libc6 (>= 2.34), libgpg-error0 (>= 1.27)")], "LGPL Crypto library - runtime library"),
    ("libgpg-error0", "1.46-1", True, "libs", [("Depends", "libc6 (>= 2.34)")], "GnuPG development runtime library"),
    ("libip4tc2", "1.8.9-2", True, "libs", [("Depends", "libc6 (>= 2.28)")], "netfilter libip4tc library"),
    ("libip6tc2", "1.8.9-2", True, "libs", [("Depends", "libc6 (>= 2.28)")], "netfilter libip6tc library"),
    ("libltdl7", "2.4.7-7~deb12u1", True, "libs", [("Depends", "libc6 (>= 2.14)")], "System independent dlopen wrapper for GNU libtool"),
    ("liblz4-1", "1.9.4-1", True, "libs", [("Depends", "libc6 (>= 2.14)")], "Fast LZ compression algorithm library - runtime"),
    ("liblzma5", "5.4.1-0.2", True, "libs", [("Depends", "libc6 (>= 2.34)")], "XZ-format compression library"),
    ("libpcre2-8-0", "10.42-1", True, "libs", [("Depends", "libc6 (>= 2.14)")], "New Perl Compatible Regular Expression Library- 8 bit runtime files"),
    ("libproc2-0", "2:4.0.2-3", True, "libs", [("Depends", "libc6 (>= 2.34), libsystemd0 (>= 209)")], "library for accessing process information from /proc"),
    ("libseccomp2", "2.5.4-1+b3", True, "libs", [("Depends", "libc6 (>= 2.34)")], "high level interface to Linux seccomp filter", "libseccomp (2.5.4-1)"),
    ("libselinux1", "3.4-1+b6", True, "libs", [("Depends", "libc6 (>= 2.34), libpcre2-8-0 (>= 10.22)")], "SELinux runtime shared libraries", "libselinux (3.4-1)"),
    ("libslirp0", "4.7.0-1", True, "libs", [("Depends", "libc6 (>= 2.14)")], "General purpose TCP-IP emulator library"),
    ("libssl3", "3.0.11-1~deb12u2", True, "libs", [("Depends", "libc6 (>= 2.34)")], "Secure Sockets Layer toolkit - shared libraries", "openssl"),
    ("libsystemd0", "252.22-1~deb12u1", True, "libs", [("Depends", "libc6 (>= 2.34), libcap2 (>= 1:2.10), libgcrypt20 (>= 1.10.0), liblz4-1 (>= 0.0~r127), liblzma5 (>= 5.1.1alpha+20120614), libzstd1 (>= 1.5.2)")], "systemd utility library", "systemd"),
    ("libudev1", "252.22-1~deb12u1", True, "libs", [("Depends", "libc6 (>= 2.34), libcap2 (>= 1:2.10)")], "libudev shared library", "systemd"),
    ("libxtables12", "1.8.9-2", True, "libs", [("Depends", "libc6 (>= 2.34)")], "netfilter xtables library", "iptables"),
    ("libzstd1", "1.5.4+dfsg2-5", True, "libs", [("Depends", "libc6 (>= 2.34)")], "fast lossless compression algorithm", "libzstd"),
    ("netbase", "6.4", False, "admin", [], "Basic TCP/IP networking system"),
    ("openssl", "3.0.11-1~deb12u2", True, "utils", [("Depends", "libc6 (>= 2.34), libssl3 (>= 3.0.9)")], "Secure Sockets Layer toolkit - cryptographic utility"),
    ("perl", "5.36.0-7+deb12u1", True, "perl", [("Depends", "perl-base (= 5.36.0-7+deb12u1)")], "Larry Wall's Practical Extraction and Report Language"),
    ("perl-base", "5.36.0-7+deb12u1", True, "perl", [("Pre-Depends", "libc6 (>= 2.35)"), ("Provides", "perlapi-5.36.0")], "minimal Perl system", "perl"),
    ("pigz", "2.6-1", True, "utils", [("Depends", "libc6 (>= 2.34), zlib1g (>= 1:1.2.3.4)")], "Parallel Implementation of GZip"),
    ("procps", "2:4.0.2-3", True, "admin", [("Depends", "libc6 (>= 2.34), libproc2-0 (>= 2:4.0.2), libsystemd0 (>= 209), init-system-helpers (>= 1.29~)")], "/proc file system utilities"),
    ("slirp4netns", "1.2.0-1", True, "net", [("Depends", "libc6 (>= 2.34), libseccomp2 (>= 2.3.3), libslirp0 (>= 4.7.0), libcap2 (>= 1:2.10)")], "User-mode networking for unprivileged network namespaces"),
    ("xz-utils", "5.4.1-0.2", True, "utils", [("Depends", "libc6 (>= 2.34), liblzma5 (>= 5.4.0)")], "XZ-format compression utilities", "xz-utils"),
    ("zlib1g", "1:1.2.13.dfsg-1", True, "libs", [("Depends", "libc6 (>= 2.14)"), ("Provides", "libz1")], "compression library - runtime", "zlib"),
]
BOOKWORM_SECURITY = [
    ("libc6", "2.36-9+deb12u7", True, "libs", [("Depends", "libgcc-s1")], "GNU C Library: Shared libraries", "glibc"),
    ("libssl3", "3.0.15-1~deb12u1", True, "libs", [("Depends", "libc6 (>= 2.34)")], "Secure Sockets Layer toolkit - shared libraries", "openssl"),
    ("openssl", "3.0.15-1~deb12u1", True, "utils", [("Depends", "libc6 (>= 2.34), libssl3 (>= 3.0.9)")], "Secure Sockets Layer toolkit - cryptographic utility"),
]
DEFAULT_SOURCE = {"libc6": "glibc", "gcc-8-base": "gcc-8", "gcc-12-base": "gcc-12", "libgcc1": "gcc-8",
                  "libgcc-s1": "gcc-12", "libcap2": "libcap2", "libdbus-1-3": "dbus", "dbus-user-session": "dbus",
                  "dmsetup": "lvm2 (2.03.02-3)", "libdevmapper1.02.1": "lvm2 (2.03.02-3)", "git-man": "git",
                  "libexpat1": "expat", "libip4tc0": "iptables", "libip6tc0": "iptables", "libip4tc2": "iptables",
                  "libip6tc2": "iptables", "libxtables12": "iptables", "libltdl7": "libtool", "liblz4-1": "lz4",
                  "liblzma5": "xz-utils", "libpcre2-8-0": "pcre2", "libpcre3": "pcre3", "libprocps7": "procps",
                  "libproc2-0": "procps", "libseccomp2": "libseccomp", "libselinux1": "libselinux (2.8-1)",
                  "libssl1.1": "openssl", "libsystemd0": "systemd", "libudev1": "systemd", "perl-base": "perl",
                  "zlib1g": "zlib", "libgcrypt20": "libgcrypt20", "libgpg-error0": "libgpg-error",
                  "libslirp0": "libslirp", "libzstd1": "libzstd", "passwd": "shadow"}


def debian_suite(code, pkgs, fix_lvm=None):
    for arch in ("amd64", "arm64"):
        st = []
        for p in sorted(pkgs, key=lambda p: p[0]):
            name, ver, any_arch, section, rel, desc = p[:6]
            src = p[6] if len(p) > 6 else DEFAULT_SOURCE.get(name)
            if src == name:
                src = None
            if fix_lvm and src and src.startswith("lvm2"):
                src = fix_lvm
            a = arch if any_arch else "all"
            fver = ver.split(":", 1)[1] if ":" in ver else ver
            md5, sha1, sha256, sha512 = seed_hashes(name, ver, a, code)
            srcdir = (src or name).split(" ")[0]
            prefix = srcdir[:4] if srcdir.startswith("lib") else srcdir[0]
            comp_code = code.replace("-security", "")
            pool = f"pool/{'updates/' if code.endswith('-security') else ''}main/{prefix}/{srcdir}"
            f = [("Package", name), ("Source", src), ("Version", ver),
                 ("Installed-Size", str(size_for(900, "is", name, ver, a) // 2 + 40)),
                 ("Maintainer", "Debian Developers <debian-devel@lists.debian.org>"), ("Architecture", a)]
            f += rel
            f += [("Priority", "required" if name in ("libc6", "perl-base", "debconf") else "optional"),
                  ("Section", section), ("Filename", f"{pool}/{name}_{fver}_{a}.deb"),
                  ("Size", str(size_for(400_000, "sz", name, ver, a, comp_code))), ("MD5sum", md5),
                  ("SHA256", sha256)]
            if name in ("perl-base", "debconf"):
                f.insert(6, ("Essential", "yes"))
            st.append(stanza(f, desc))
        write(f"{HERE}/debian-main/{code}/main/{arch}.Packages", "\n".join(st))


debian_suite("buster", BUSTER)
debian_suite("bookworm", BOOKWORM, fix_lvm="lvm2 (2.03.16-2)")
debian_suite("bookworm-security", BOOKWORM_SECURITY)
write(f"{HERE}/debian-main/buster/Release.in",
      "Origin: Debian\nLabel: Debian\nSuite: oldoldstable\nVersion: 10.13\nCodename: buster\n"
      f"Date: {rfc2822(2022, 9, 10, 10, 14, 11, 'UTC')}\n"
      "Description: Debian 10.13 Released 10 September 2022\n")
write(f"{HERE}/debian-main/bookworm/Release.in",
      "Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.5\nCodename: bookworm\n"
      f"Date: {rfc2822(2024, 2, 10, 10, 36, 25, 'UTC')}\n"
      "Description: Debian 12.5 Released 10 February 2024\n")
write(f"{HERE}/debian-main/bookworm-security/Release.in",
      "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\n"
      f"Date: {rfc2822(2024, 5, 2, 17, 3, 9, 'UTC')}\n"
      "Description: Debian 12 - Security Updates\n")
