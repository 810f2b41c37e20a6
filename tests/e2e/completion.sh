#!/bin/bash
# completion.sh - dist/bash-completion/xmig under bash-completion: the
# commands and each command's options are exactly those of xmig's own
# help, global option values, domain names from "xmig list" on the host
# the command line names, hosts from known_hosts, files.
set -eu
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/sim-lib.sh"

BASH_COMPLETION=/usr/share/bash-completion/bash_completion
[ -r "$BASH_COMPLETION" ] || e2e_skip "no bash-completion"

# comp LINE: what TAB offers at the end of LINE, sorted, one a line, as
# bash-completion would call _xmig: words split at blanks, the last one
# empty when LINE ends with a blank.
comp() {
	bash -c '
		. "$1" && . "$2" || exit 1
		COMP_LINE=$3
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<< "$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_xmig
		printf "%s\n" "${COMPREPLY[@]}"
	' comp "$BASH_COMPLETION" "$top_srcdir/dist/bash-completion/xmig" \
	    "$1" 2>/dev/null | sed '/^$/d' | sort
}

# expect_comp LINE WANT...: TAB at the end of LINE offers exactly WANT.
expect_comp() {
	line=$1
	shift
	got=$(comp "$line" | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
	[ "$got" = "$want" ] ||
	    e2e_fail "\"$line<TAB>\": got [$got], wanted [$want]"
}

# The commands are those "xmig help" lists.
cmds=$("$XMIG" help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || e2e_fail "no commands in xmig help"
# shellcheck disable=SC2086
expect_comp "xmig " $cmds
# shellcheck disable=SC2086
expect_comp "xmig help " $cmds
expect_comp "xmig mi" migrate
expect_comp "xmig --json -q s" save sim status

# The global options are those of "xmig help", and xmig's --help.
gopts=$("$XMIG" help | sed -n '/^Global options:/,$p' |
    grep -o -- '--[a-z-]*' | sort -u)
# shellcheck disable=SC2086
expect_comp "xmig --" $gopts --help
expect_comp "xmig --backend " auto sim xen
expect_comp "xmig --backend=" auto sim xen
e2e_ok "commands and global options"

# Each command's options are those of its usage line, and --help.  A
# command named by a unique prefix is that command.
for c in $cmds; do
	want=$("$XMIG" help "$c" | sed -n 's/^usage: //p' |
	    grep -o -- '--[a-z-]*' | sort -u)
	[ "$c" = help ] && continue
	# shellcheck disable=SC2086
	expect_comp "xmig $c --" $want --help
done
expect_comp "xmig mig --max-d" --max-downtime
expect_comp "xmig migrate --port " ""
expect_comp "xmig verify --format " libxc libxl xl
# "sim": its subcommands from its usage line, create's options from its
# help.
subs=$("$XMIG" help sim | sed -n 's/^usage: xmig sim \([a-z|]*\) .*/\1/p' |
    tr '|' ' ')
# shellcheck disable=SC2086
expect_comp "xmig sim " $subs --help
want=$("$XMIG" help sim | sed -n '/^  sim create/,/^      [a-z]/p' |
    grep -o -- '--[a-z-]*' | sort -u)
# shellcheck disable=SC2086
expect_comp "xmig sim create --" $want
e2e_ok "each command's options, as in its help"

# Domain names: "xmig list" on the host of --sim-dir (or XMIG_SIM_DIR),
# without Domain-0.
A="$E2E_TMP/hostA"
B="$E2E_TMP/hostB"
sim_host "$A"
"$XMIG" --sim-dir "$A" sim create --name web1 --memory 16M >/dev/null
"$XMIG" --sim-dir "$A" sim create --name db1 --memory 16M >/dev/null
expect_comp "$XMIG --sim-dir $A migrate " db1 web1
expect_comp "$XMIG --backend sim --sim-dir=$A migrate --no-live w" web1
expect_comp "$XMIG --sim-dir $A save " db1 web1
expect_comp "$XMIG --sim-dir $A recover d" db1
expect_comp "$XMIG --sim-dir $A sim check " db1 web1
expect_comp "$XMIG --sim-dir $A sim rename web1 " ""
expect_comp "$XMIG --sim-dir $A evacuate --exclude " db1 web1
expect_comp "$XMIG --sim-dir $A evacuate --exclude web1,d" web1,db1
XMIG_SIM_DIR="$A" expect_comp "$XMIG migrate " db1 web1
expect_comp "$XMIG --sim-dir $B migrate " ""
e2e_ok "domain names from xmig list"

# Hosts for migrate's second argument and status --host: known_hosts.
mkdir -p "$E2E_TMP/home/.ssh"
echo "hostb.example,192.0.2.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA" \
    > "$E2E_TMP/home/.ssh/known_hosts"
HOME="$E2E_TMP/home" expect_comp "xmig migrate web1 hostb" hostb.example
HOME="$E2E_TMP/home" expect_comp "xmig migrate --port 8002 web1 192.0.2" \
    192.0.2.2
HOME="$E2E_TMP/home" expect_comp "xmig status --host hostb" hostb.example
HOME="$E2E_TMP/home" expect_comp "xmig evacuate --to hostb" hostb.example
HOME="$E2E_TMP/home" expect_comp "xmig evacuate --to hostc:8002,192.0.2" \
    hostc:8002,192.0.2.2
e2e_ok "hosts from known_hosts"

# Files for save's second argument, restore and verify.
mkdir "$E2E_TMP/files"
: > "$E2E_TMP/files/web1.save"
: > "$E2E_TMP/files/db1.save"
F="$E2E_TMP/files"
expect_comp "xmig save web1 $F/w" "$F/web1.save"
expect_comp "xmig restore --paused $F/" "$F/db1.save" "$F/web1.save"
expect_comp "xmig restore --name x $F/d" "$F/db1.save"
expect_comp "xmig verify --format xl $F/w" "$F/web1.save"
expect_comp "xmig restore $F/web1.save " ""
e2e_ok "files for save, restore and verify"
