#!/bin/sh
# deb-install.sh - the Debian package in throwaway roots: its files and
# conffile, Depends against what its binaries link, xmig and xmigd run
# from it, its maintainer scripts enabling xmigd.service (checked with
# "systemctl --root") and what they ask of a running systemd, and an
# upgrade that keeps a changed /etc/xmig/xmigd.conf.
#
#   tests/e2e/deb-install.sh DEB NEXT-DEB
#
# DEB and NEXT-DEB are two builds of the package, NEXT-DEB a later
# version (scripts/deb-build.sh; scripts/test.sh runs this after it).
#
# Installs go through dpkg itself, whose conffile handling is the point,
# into a root of their own ("dpkg --root", a database of its own) with
# the maintainer scripts run outside a chroot (--force-script-chrootless,
# which sets DPKG_ROOT for them; the root holds no shell to chroot to)
# and the package's dependencies, which are this machine's libraries,
# not asked of that root (--force-depends).  The scripts then run on
# this machine, so systemctl, deb-systemd-invoke and deb-systemd-helper
# are stubs first on PATH that log every call: "systemctl --root=..."
# and deb-systemd-helper under DPKG_ROOT go on to the real programs,
# which then touch only the throwaway root; any other call goes no
# further than the log.  This machine's systemd is never asked to start,
# stop or enable anything.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

[ $# = 2 ] || { echo "usage: $0 DEB NEXT-DEB" >&2; exit 2; }
deb=$1
next=$2
ver=$(dpkg-deb -f "$deb" Version)
nextver=$(dpkg-deb -f "$next" Version)
dpkg --compare-versions "$nextver" gt "$ver" ||
    e2e_fail "$next ($nextver) is not later than $deb ($ver)"
upstream=${ver%-*}

# ---------------------------------------------------------------- files
dpkg-deb -c "$deb" | awk '$6 !~ /\/$/ { print $6 }' | sort \
    > "$E2E_TMP/files"
cat > "$E2E_TMP/files.want" <<'EOF'
./etc/xmig/xmigd.conf
./lib/systemd/system/xmigd.service
./usr/bin/xmig
./usr/sbin/xmigd
./usr/share/bash-completion/completions/xmig
./usr/share/doc/xmig/README.gz
./usr/share/doc/xmig/changelog.Debian.gz
./usr/share/doc/xmig/copyright
./usr/share/lintian/overrides/xmig
./usr/share/man/man1/xmig.1.gz
./usr/share/man/man5/xmigd.conf.5.gz
./usr/share/man/man8/xmigd.8.gz
EOF
diff -u "$E2E_TMP/files.want" "$E2E_TMP/files" ||
    e2e_fail "the package's files differ from the list"
ctl="$E2E_TMP/control"
dpkg-deb -e "$deb" "$ctl"
[ "$(cat "$ctl/conffiles")" = /etc/xmig/xmigd.conf ] ||
    e2e_fail "conffiles: $(cat "$ctl/conffiles")"
e2e_ok "files of $ver, /etc/xmig/xmigd.conf its conffile"

# Depends names exactly the packages of the libraries xmig and xmigd
# link (Xen's under their Debian names), and no other.
X="$E2E_TMP/x"
dpkg -x "$deb" "$X"
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for b in "$X/usr/bin/xmig" "$X/usr/sbin/xmigd"; do
	objdump -p "$b" | awk '$1 == "NEEDED" { print $2 }'
done | sort -u | while read -r so; do
	dpkg -S "*/$triplet/$so" | sed 's/[:,].*//'
done | sort -u > "$E2E_TMP/needed"
dpkg-deb -f "$deb" Depends | tr ',' '\n' |
    sed 's/^ *//; s/[ (].*//; /^$/d' | sort -u > "$E2E_TMP/depends"
diff -u "$E2E_TMP/needed" "$E2E_TMP/depends" ||
    e2e_fail "Depends differs from the packages of the linked libraries"
grep -qx libxenmisc4.17 "$E2E_TMP/depends" ||
    e2e_fail "no libxenmisc4.17 in Depends"
e2e_ok "Depends: $(tr '\n' ' ' < "$E2E_TMP/depends")"

# ---------------------------------------------------------------- run
expect_exit 0 "$X/usr/bin/xmig" --version
expect_grep "^xmig $upstream\$" "$E2E_TMP/out"
expect_grep "^backends: xen sim\$" "$E2E_TMP/out"
expect_exit 0 "$X/usr/sbin/xmigd" --version
expect_grep "^xmigd $upstream\$" "$E2E_TMP/out"
expect_exit 0 "$X/usr/sbin/xmigd" -n -c "$X/etc/xmig/xmigd.conf"
expect_grep "configuration OK" "$E2E_TMP/out"
unit="$X/lib/systemd/system/xmigd.service"
expect_grep "^ExecStart=/usr/sbin/xmigd -f -c /etc/xmig/xmigd.conf\$" "$unit"
expect_exit 0 bash -c ". '$X/usr/share/bash-completion/completions/xmig' &&
    complete -p xmig"
expect_grep "_xmig xmig" "$E2E_TMP/out"
e2e_ok "xmig and xmigd $upstream run from the package"

# ---------------------------------------------------------------- stubs
S="$E2E_TMP/stubs"
LOG="$E2E_TMP/systemd.log"
mkdir "$S"
: > "$LOG"
cat > "$S/systemctl" <<EOF
#!/bin/sh
echo "systemctl \$*" >> "$LOG"
for a; do
	case \$a in --root=?*) exec /usr/bin/systemctl "\$@" ;; esac
done
exit 0
EOF
cat > "$S/deb-systemd-invoke" <<EOF
#!/bin/sh
echo "deb-systemd-invoke \$*" >> "$LOG"
EOF
cat > "$S/deb-systemd-helper" <<EOF
#!/bin/sh
if [ -n "\${DPKG_ROOT-}" ]; then
	echo "deb-systemd-helper \$* (in \$DPKG_ROOT)" >> "$LOG"
	exec /usr/bin/deb-systemd-helper "\$@"
fi
echo "deb-systemd-helper \$*" >> "$LOG"
EOF
chmod +x "$S"/*

# ---------------------------------------------------------------- dpkg
R="$E2E_TMP/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/log"
: > "$R/var/lib/dpkg/status"
# rdpkg ARGS...: dpkg on the throwaway root, never a question asked.
rdpkg() {
	PATH="$S:$PATH" dpkg --root="$R" --log="$R/var/log/dpkg.log" \
	    --force-script-chrootless --force-depends "$@" \
	    </dev/null >>"$E2E_TMP/dpkg.out" 2>&1 ||
	    { cat "$E2E_TMP/dpkg.out"; e2e_fail "dpkg $*"; }
}
# expect_status WANT: what the throwaway root's dpkg says of xmig.
expect_status() {
	got=$(dpkg --root="$R" -s xmig 2>/dev/null |
	    sed -n 's/^Status: //p; s/^Version: //p' | tr '\n' ' ')
	[ "$got" = "$1 " ] || e2e_fail "xmig in the root: [$got], wanted [$1]"
}
# enabled: "systemctl --root" on the throwaway root.
enabled() {
	systemctl --root="$R" is-enabled xmigd.service 2>/dev/null || :
}
# The stubs' log never shows deb-systemd-helper outside DPKG_ROOT.
rooted_only() {
	if grep -v '^systemctl\|^deb-systemd-invoke\|(in /' "$LOG"; then
		e2e_fail "deb-systemd-helper called outside the root"
	fi
}

rdpkg -i "$deb"
expect_status "install ok installed $ver"
cmp "$X/etc/xmig/xmigd.conf" "$R/etc/xmig/xmigd.conf" ||
    e2e_fail "installed xmigd.conf differs from the package's"
[ "$(enabled)" = enabled ] || e2e_fail "xmigd.service: $(enabled)"
[ -L "$R/etc/systemd/system/multi-user.target.wants/xmigd.service" ] ||
    e2e_fail "no multi-user.target.wants/xmigd.service"
rooted_only
e2e_ok "dpkg --root -i $ver: installed, xmigd.service enabled"

# The administrator's change to the conffile survives the upgrade, with
# no question asked and no copy beside it.
echo "relocation-port = 8012" >> "$R/etc/xmig/xmigd.conf"
cp "$R/etc/xmig/xmigd.conf" "$E2E_TMP/changed.conf"
rdpkg -i "$next"
expect_status "install ok installed $nextver"
cmp "$E2E_TMP/changed.conf" "$R/etc/xmig/xmigd.conf" ||
    e2e_fail "the upgrade overwrote the changed /etc/xmig/xmigd.conf"
for f in "$R"/etc/xmig/*; do
	[ "$f" = "$R/etc/xmig/xmigd.conf" ] || e2e_fail "left beside it: $f"
done
[ "$(enabled)" = enabled ] || e2e_fail "after upgrade: $(enabled)"
expect_exit 0 "$X/usr/sbin/xmigd" -n -c "$R/etc/xmig/xmigd.conf"
rooted_only
e2e_ok "upgrade $ver -> $nextver kept the changed xmigd.conf"

# Remove keeps the configuration; purge takes it and the unit's links.
rdpkg -r xmig
expect_status "deinstall ok config-files $nextver"
[ -f "$R/etc/xmig/xmigd.conf" ] || e2e_fail "remove took xmigd.conf"
[ ! -e "$R/usr/sbin/xmigd" ] || e2e_fail "remove left xmigd"
rdpkg -P xmig
[ ! -e "$R/etc/xmig" ] || e2e_fail "purge left /etc/xmig"
[ -z "$(find "$R/etc/systemd" -name 'xmigd*')" ] ||
    e2e_fail "purge left xmigd.service links"
rooted_only
e2e_ok "remove keeps xmigd.conf, purge takes it and the unit's links"

# ------------------------------------------------ with systemd running
# The scripts act on a running systemd only where /run/systemd/system
# exists (not in a container without it): run NEXT-DEB's with that test
# pointed at a directory that exists, without DPKG_ROOT, so that every
# call stops at a stub and is only logged.
F="$E2E_TMP/fake"
mkdir -p "$F/run/systemd/system"
dpkg-deb -e "$next" "$F/control"
for s in postinst prerm postrm; do
	sed "s|/run/systemd/system|$F/run/systemd/system|g" \
	    "$F/control/$s" > "$F/$s"
done
# as_systemd SCRIPT ARGS...: the log of its calls, one a line.
as_systemd() {
	: > "$LOG"
	s=$1
	shift
	env -u DPKG_ROOT PATH="$S:$PATH" sh "$F/$s" "$@" ||
	    e2e_fail "$s $*: exit $?"
	cat "$LOG"
}
# expect_calls SCRIPT ARGS... -- CALL...: exactly these calls, in order.
expect_calls() {
	args=""
	while [ "$1" != -- ]; do
		args="$args $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	got=$(as_systemd $args)
	want=$(printf '%s\n' "$@" | sed '/^$/d')
	[ "$got" = "$want" ] ||
	    e2e_fail "$args: calls [$got], wanted [$want]"
}
expect_calls postinst configure -- \
    "deb-systemd-helper unmask xmigd.service" \
    "deb-systemd-helper --quiet was-enabled xmigd.service" \
    "deb-systemd-helper enable xmigd.service" \
    "systemctl --system daemon-reload" \
    "deb-systemd-invoke start xmigd.service"
e2e_ok "install: enabled, units reloaded, xmigd started"
# Upgrade: the old xmigd serves on while the files are replaced (its
# prerm stops nothing), then the new one is started in its place.
expect_calls prerm upgrade "$nextver" -- ""
expect_calls postinst configure "$ver" -- \
    "deb-systemd-helper unmask xmigd.service" \
    "deb-systemd-helper --quiet was-enabled xmigd.service" \
    "deb-systemd-helper enable xmigd.service" \
    "systemctl --system daemon-reload" \
    "deb-systemd-invoke restart xmigd.service"
e2e_ok "upgrade: units reloaded, xmigd restarted"
expect_calls prerm remove -- "deb-systemd-invoke stop xmigd.service"
expect_calls postrm remove -- "systemctl --system daemon-reload"
expect_calls postrm purge -- "deb-systemd-helper purge xmigd.service"
e2e_ok "remove: xmigd stopped; purge: its links gone"
